//! The certificates an order holds over time: the first, each reissue, each duplicate, with their
//! own serial, names, validity, status and downloads.

pub mod api;
#[cfg(feature = "ssr")]
pub mod issued;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
