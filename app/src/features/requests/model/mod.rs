//! Certificate requests: the five order forms, their values, and how they become a DigiCert
//! order. [`prepare`] is the one check the browser runs as a person types and the server runs
//! again before anything is stored.

mod csr_check;
mod form;
mod order;
mod pages;
mod status;

pub use csr_check::*;
pub use form::*;
pub use order::*;
pub use pages::*;
pub use status::*;

#[cfg(test)]
mod tests;
