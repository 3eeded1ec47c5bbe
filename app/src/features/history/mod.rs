//! Admins' order history: every request and order, searchable, sortable, keyset-paged, and
//! exportable as CSV.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
