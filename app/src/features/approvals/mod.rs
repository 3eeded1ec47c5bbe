//! The approval queue, decisions with separation of duties, and the admin's retry of a refused
//! order.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
