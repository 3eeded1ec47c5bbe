//! Accounts, sign-in and sign-out, roles.
pub mod api;
pub mod context;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sso;
pub mod views;

pub use context::Auth;
pub use model::{CurrentUser, Role};
