//! The company's OpenID provider as certdesk meets it: discovery, the authorization code flow
//! with PKCE, and ID tokens verified against the issuer's keys.

use super::settings::OidcSettings;
use crate::features::auth::Role;
use crate::features::auth::model::SsoFailure;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenFields,
    IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Every claim of the ID token beyond the standard ones: the roles claim is named in settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for OtherClaims {}

type SsoIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type SsoTokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type SsoClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    SsoTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Discovery (with its keys) is reused this long, and fetched again at once when a token names a
/// key it does not hold. Only a token the provider itself just answered can ask for that, so
/// nobody else can make certdesk hammer the provider.
const METADATA_MAX_AGE: Duration = Duration::from_secs(3600);
/// A sign-in must come back from the provider within this time.
pub const PENDING_MAX_SECONDS: i64 = 600;

/// What the session remembers between sending someone to the provider and their return.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    nonce: String,
    pkce_verifier: String,
    pub next: String,
    pub started_at: i64,
}

/// Who the provider says signed in, after every check passed.
#[derive(Debug, Clone)]
pub struct ProviderIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    /// The raw ID token, kept in the session as the hint for the provider's sign-out.
    pub id_token: String,
}

/// A refused sign-in: what the person is told, and what the audit log keeps.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub failure: SsoFailure,
    pub detail: String,
    /// The email the provider named, when the refusal came after it answered.
    pub subject: Option<String>,
}

impl Refusal {
    pub fn new(failure: SsoFailure, detail: impl Into<String>) -> Refusal {
        let detail: String = detail.into();
        Refusal {
            failure,
            detail: detail.chars().take(300).collect(),
            subject: None,
        }
    }

    /// The same refusal, concerning `email`.
    pub fn about(self, email: Option<&str>) -> Refusal {
        Refusal {
            subject: email.map(str::to_owned),
            ..self
        }
    }
}

struct Cached {
    metadata: ProviderMetadataWithLogout,
    fetched: Instant,
}

pub struct SsoProvider {
    pub settings: OidcSettings,
    http: reqwest::Client,
    cache: RwLock<Option<Cached>>,
}

impl SsoProvider {
    pub fn new(settings: OidcSettings) -> Result<SsoProvider, String> {
        let http = reqwest::Client::builder()
            // Never follow a redirect: a provider's answer is read where it was asked for.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|err| format!("cannot set up the OpenID client: {err}"))?;
        Ok(SsoProvider {
            settings,
            http,
            cache: RwLock::new(None),
        })
    }

    /// The provider's discovery document and keys, from the cache unless it is old (or `refresh`
    /// asks for a new copy, as when a token names an unknown key).
    async fn metadata(&self, refresh: bool) -> Result<ProviderMetadataWithLogout, Refusal> {
        if !refresh
            && let Some(cached) = self.cache.read().await.as_ref()
            && cached.fetched.elapsed() < METADATA_MAX_AGE
        {
            return Ok(cached.metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|err| Refusal::new(SsoFailure::Unavailable, err.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "the OpenID provider's discovery failed");
                Refusal::new(SsoFailure::Unavailable, format!("discovery: {err}"))
            })?;
        *self.cache.write().await = Some(Cached {
            metadata: metadata.clone(),
            fetched: Instant::now(),
        });
        Ok(metadata)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> Result<SsoClient, Refusal> {
        let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|err| Refusal::new(SsoFailure::Unavailable, err.to_string()))?;
        Ok(SsoClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the person, and what to remember until they come back.
    pub async fn begin(&self, next: String, now: i64) -> Result<(String, PendingSignIn), Refusal> {
        let client = self.client(self.metadata(false).await?)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next,
                started_at: now,
            },
        ))
    }

    /// Trades the code for tokens and verifies the ID token: signature by the issuer's keys
    /// (fetched again once if it names a key not yet seen), issuer, audience, expiry and nonce.
    pub async fn finish(
        &self,
        pending: PendingSignIn,
        code: String,
    ) -> Result<ProviderIdentity, Refusal> {
        let client = self.client(self.metadata(false).await?)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|err| Refusal::new(SsoFailure::Unavailable, err.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
        let tokens = request
            .request_async(&self.http)
            .await
            .map_err(token_refusal)?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::new(SsoFailure::Token, "the token answer holds no ID token"))?
            .clone();
        let nonce = Nonce::new(pending.nonce);
        match self.identity(&client, &id_token, &nonce) {
            Err(err) if unknown_key(&err) => {
                let fresh = self.client(self.metadata(true).await?)?;
                self.identity(&fresh, &id_token, &nonce)
                    .map_err(|err| Refusal::new(SsoFailure::Token, err.to_string()))
            }
            other => other.map_err(|err| Refusal::new(SsoFailure::Token, err.to_string())),
        }
    }

    fn identity(
        &self,
        client: &SsoClient,
        id_token: &SsoIdToken,
        nonce: &Nonce,
    ) -> Result<ProviderIdentity, openidconnect::ClaimsVerificationError> {
        let claims = id_token.claims(&client.id_token_verifier(), nonce)?;
        Ok(ProviderIdentity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string())
                .or_else(|| claims.preferred_username().map(|u| u.to_string())),
            roles: self.settings.roles_for(
                claims
                    .additional_claims()
                    .claims
                    .get(&self.settings.roles_claim),
            ),
            id_token: id_token.to_string(),
        })
    }

    /// The provider's end-session address for someone signed in with `id_token`, when it has one.
    pub async fn end_session_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let hint: SsoIdToken = id_token.parse().ok()?;
        let back = PostLogoutRedirectUrl::new(self.settings.post_logout_url.clone()).ok()?;
        let url = LogoutRequest::from(endpoint)
            .set_id_token_hint(&hint)
            .set_client_id(ClientId::new(self.settings.client_id.clone()))
            .set_post_logout_redirect_uri(back)
            .http_get_url();
        Some(url.to_string())
    }
}

fn unknown_key(err: &openidconnect::ClaimsVerificationError) -> bool {
    matches!(
        err,
        openidconnect::ClaimsVerificationError::SignatureVerification(
            openidconnect::SignatureVerificationError::NoMatchingKey
        )
    )
}

/// The provider refused the code (used, expired, not ours) or could not be reached.
fn token_refusal<RE: std::error::Error + 'static>(
    err: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> Refusal {
    match err {
        RequestTokenError::ServerResponse(answer) => {
            let failure = match answer.error() {
                CoreErrorResponseType::InvalidGrant => SsoFailure::Expired,
                _ => SsoFailure::ProviderError,
            };
            Refusal::new(
                failure,
                format!("token endpoint: {}", answer.error().as_ref()),
            )
        }
        RequestTokenError::Request(err) => {
            tracing::warn!(error = %err, "the OpenID provider's token endpoint is unreachable");
            Refusal::new(SsoFailure::Unavailable, "token endpoint unreachable")
        }
        other => Refusal::new(
            SsoFailure::ProviderError,
            format!("token endpoint: {other}"),
        ),
    }
}
