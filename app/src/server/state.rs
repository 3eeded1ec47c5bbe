use super::Config;
use super::digicert::DigicertClient;
use crate::features::auth::model::DemoAccounts;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;

/// Everything a request handler or server function needs, handed out through the router.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// CertCentral, or the simulator in demo mode.
    pub digicert: Arc<DigicertClient>,
    /// DigiCert's lists for the order forms, kept for a few minutes.
    pub order_options: Arc<crate::features::requests::options::OptionsCache>,
    /// Present only in demo mode: the seeded accounts and their password.
    pub demo: Option<Arc<DemoAccounts>>,
    /// The company's OpenID provider, when single sign-on is set up.
    pub sso: Option<Arc<crate::features::auth::sso::SsoProvider>>,
}
