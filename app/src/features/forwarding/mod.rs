//! Sending approved orders to DigiCert and following them until the certificate is issued.

pub mod api;
#[cfg(feature = "ssr")]
pub mod renewals;
#[cfg(feature = "ssr")]
pub mod worker;
