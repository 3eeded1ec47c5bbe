//! certdesk: the routes, pages and server functions shared by the browser and the server.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod error;
pub mod features;
#[cfg(feature = "ssr")]
pub mod server;

pub use app::{App, shell};
