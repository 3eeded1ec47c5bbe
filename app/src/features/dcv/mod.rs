//! Domain control validation in the portal: what a requester must publish for an order that waits
//! on DCV, "Check now", the method change, the demo's publish button, and the admins' Domains page.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
