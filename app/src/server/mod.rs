//! Server-only infrastructure: configuration, state, sessions, passwords, audit.
pub mod audit;
pub mod config;
pub mod context;
pub mod csp;
pub mod digicert;
pub mod metrics;
pub mod password;
pub mod search;
pub mod state;
pub mod time_format;

pub use config::Config;
pub use context::{
    client_ip, current_user, require_role, require_signed_in, require_user, session,
};
pub use state::AppState;
pub use time_format::format_time;
