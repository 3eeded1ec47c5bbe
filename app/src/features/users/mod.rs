//! User administration (admins).
pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
