//! Accounts, sign-in and sign-out, roles.
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;

pub use model::{CurrentUser, Role};
