//! Changes to an issued order's certificates — reissue, duplicate, revoke — from the request to
//! DigiCert's answer: asked for by the requester (or an approver), decided by an approver or a
//! standing policy, sent exactly once by the forwarding worker, followed to the end.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod worker;
