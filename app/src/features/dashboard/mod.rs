//! The landing page: who you are, what you may do, your recent activity.
pub mod api;
pub mod views;
