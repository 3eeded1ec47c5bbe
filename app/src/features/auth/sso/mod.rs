//! Single sign-on with the company's OpenID provider (authorization code flow with PKCE).
//!
//! `GET /auth/oidc/start` remembers state, nonce and PKCE verifier in the session and sends the
//! person to the provider; `GET /auth/oidc/callback` checks the state, trades the code, verifies
//! the ID token and signs the account in (made just in time, roles from the provider's groups).
//! Every refusal ends on the sign-in page with a message and an audit row.
pub mod accounts;
pub mod provider;
pub mod repo;
pub mod routes;
pub mod settings;

pub use provider::SsoProvider;
pub use settings::OidcSettings;
