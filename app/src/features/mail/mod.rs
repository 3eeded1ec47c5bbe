//! Mail that tells people what to do: written to `mail_outbox` in the transaction of the event
//! that causes it (a request waiting, decided, issued, waiting on DCV, refused by DigiCert), sent
//! over SMTP by a worker with retries, each kind switchable per person on the Account page, and
//! kept for admins to read on the Mail page (in demo mode, with no SMTP server, that is where
//! they go).

pub mod api;
#[cfg(feature = "ssr")]
pub mod compose;
pub mod model;
#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod sender;
pub mod views;
