//! certdesk: the routes, pages and server functions shared by the browser and the server.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod csv;
pub mod encoding;
pub mod error;
pub mod features;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(all(test, feature = "ssr"))]
pub mod test_support;

pub use app::{App, shell};
