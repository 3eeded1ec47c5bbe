//! Certificate requests: the order forms, submission, and "My requests".

pub mod account_check;
pub mod api;
pub mod model;
pub mod names;
pub mod options;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
