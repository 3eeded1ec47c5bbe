//! The landing page: who you are, what you may do, your recent activity, and for approvers and
//! admins the numbers of the certificate pipeline.
pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
