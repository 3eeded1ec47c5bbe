//! The audit log for admins: every security-relevant event, filterable, newest first.

pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
