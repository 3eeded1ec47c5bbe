//! The certdesk server: start-up, the HTTP router, the private PostgreSQL cluster and the
//! command line.
pub mod cli;
pub mod embedded_pg;
pub mod observability;
pub mod security;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod startup;
pub mod telemetry;
