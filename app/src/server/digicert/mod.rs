//! The CertCentral Services API client: timeouts, a client-side rate limiter, structured errors,
//! retries for reads and idempotent order placement through `alternative_order_id`.
mod client;
mod error;
mod ratelimit;

pub use client::{ClientSettings, DigicertClient, Placement, RetryPolicy, check_base_url};
pub use error::{ApiErrorItem, DigicertError};
pub use ratelimit::{RateLimiter, SendLog, Window, digicert_windows};
