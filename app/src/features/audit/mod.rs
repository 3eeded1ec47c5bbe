//! The audit log for admins: every security-relevant event, filterable, newest first.

pub mod api;
pub mod views;
