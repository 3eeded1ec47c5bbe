//! From configuration to a running router: database, migrations, state, routes and middleware.

use anyhow::Context;
use app::features::auth::service::ensure_demo_accounts;
use app::server::digicert::{ClientSettings, DigicertClient};
use app::server::{AppState, Config, context::USER_ID_KEY};
use app::{App, error::AppError, shell};
use axum::{
    Json, Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, postgres::PgPoolOptions};
use std::{sync::Arc, time::Duration};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects to PostgreSQL. The error names the host and database, never the password.
pub async fn connect(database_url: &SecretString) -> anyhow::Result<PgPool> {
    let options: sqlx::postgres::PgConnectOptions = database_url
        .expose_secret()
        .parse()
        .context("DATABASE_URL is not a valid postgres:// URL")?;
    let target = format!(
        "database {:?} on {}:{}",
        options.get_database().unwrap_or("(default)"),
        options.get_host(),
        options.get_port()
    );
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|err| anyhow::anyhow!("cannot reach the {target}: {err}"))
}

/// Replaces the database name in a postgres URL, keeping host and query parameters.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = before_query.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match before_query[scheme_end..].find('/') {
        Some(slash) => &before_query[..scheme_end + slash],
        None => before_query,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Applies migrations and creates the session table.
pub async fn prepare_database(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations failed")?;
    PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("creating the session table failed")?;
    Ok(())
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name("certdesk")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(env)
        .build()
}

/// Where DigiCert is: CertCentral with the configured key, or the simulator in demo mode.
#[derive(Clone)]
pub struct DigicertTarget {
    pub base_url: String,
    pub api_key: SecretString,
}

/// Builds the shared state; in demo mode seeds the demo users first.
pub async fn build_state(
    config: Config,
    pool: PgPool,
    digicert: DigicertTarget,
) -> anyhow::Result<AppState> {
    let client = DigicertClient::new(ClientSettings::new(digicert.base_url, digicert.api_key))
        .map_err(|err| anyhow::anyhow!("cannot set up the DigiCert client: {err}"))?;
    let demo = if config.demo_mode() {
        ensure_demo_accounts(&pool)
            .await
            .map_err(|err| anyhow::anyhow!("seeding the demo users failed: {err}"))?
            .map(Arc::new)
    } else {
        None
    };
    Ok(AppState {
        leptos_options: leptos_options(&config),
        config: Arc::new(config),
        pool,
        digicert: Arc::new(client),
        order_options: Arc::default(),
        demo,
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let idle = time::Duration::minutes(i64::from(state.config.session_idle_minutes));
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name("certdesk_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(idle));
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/requests/{id}/certificate.pem", get(download_certificate))
        .route("/requests/{id}/chain.pem", get(download_chain))
        .route("/history.csv", get(export_history))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(status_for_server_fn_errors))
        .layer(middleware::from_fn(guard_requests))
        .layer(sessions)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!(
                        "request",
                        id = %Uuid::new_v4(),
                        method = %req.method(),
                        path = %req.uri().path(),
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// The portal's listener with Nagle's algorithm off on every connection: a streamed page's last
/// chunk goes out at once instead of waiting for the browser's delayed ACK (up to 40 ms).
pub fn without_nagle(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(tcp: &mut tokio::net::TcpStream) {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(%err, "cannot turn off Nagle's algorithm");
        }
    }
    listener.tap_io(no_delay as fn(&mut tokio::net::TcpStream))
}

/// Starts `count` forwarding workers sharing this process's pool and DigiCert client; they stop
/// when the returned handles are aborted. Other server processes may run their own.
pub fn spawn_workers(state: &AppState, count: u32) -> Vec<tokio::task::JoinHandle<()>> {
    use app::features::forwarding::worker::{Worker, WorkerSettings};
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "certdesk".into());
    (0..count)
        .map(|n| {
            let owner = format!(
                "{host}:{}:{n}:{}",
                std::process::id(),
                Uuid::new_v4().simple()
            );
            let worker = Worker::new(
                state.pool.clone(),
                state.digicert.clone(),
                WorkerSettings::new(owner),
            );
            tokio::spawn(worker.run(std::future::pending()))
        })
        .collect()
}

/// `GET /requests/{id}/certificate.pem`: the issued leaf, for whoever may see the request.
async fn download_certificate(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    download(&state, &session, id, false).await
}

/// `GET /requests/{id}/chain.pem`: leaf, intermediates and root.
async fn download_chain(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    download(&state, &session, id, true).await
}

/// `GET /history.csv?<the history page's filters>`: every matching row, streamed (admins).
async fn export_history(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(filter): axum::extract::Query<
        app::features::history::model::HistoryFilter,
    >,
) -> Response {
    use app::features::auth::Role;
    use futures::TryStreamExt;
    let refuse = |err: AppError| {
        (
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            err.to_string(),
        )
            .into_response()
    };
    let user = match app::server::context::user_of_session(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/sign-in?next=/history").into_response(),
        Err(err) => return refuse(err),
    };
    if !user.has(Role::Admin) {
        return refuse(AppError::Forbidden);
    }
    match app::features::history::service::csv_stream(state.pool.clone(), &filter) {
        Ok(lines) => {
            let day = time::OffsetDateTime::now_utc().date();
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"certdesk-history-{day}.csv\""),
                    ),
                ],
                Body::from_stream(lines.map_err(|err| std::io::Error::other(err.to_string()))),
            )
                .into_response()
        }
        Err(err) => refuse(err),
    }
}

async fn download(state: &AppState, session: &Session, id: i64, chain: bool) -> Response {
    use app::features::requests::service::certificate_for;
    let user = match app::server::context::user_of_session(state, session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to(&format!("/sign-in?next=/requests/{id}")).into_response(),
        Err(err) => {
            return (
                StatusCode::from_u16(err.status_code())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                err.to_string(),
            )
                .into_response();
        }
    };
    match certificate_for(&state.pool, &user, id, chain).await {
        Ok((name, pem)) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            pem,
        )
            .into_response(),
        Err(err) => (
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            err.to_string(),
        )
            .into_response(),
    }
}

/// Gives server-function errors the HTTP status of their [`AppError`] kind, so API callers see
/// 401/403/422 rather than Leptos' blanket 500. (Plain form posts are redirects and pass by.)
async fn status_for_server_fn_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Sends visitors to the sign-in page before any page renders, and refuses cross-site POSTs.
async fn guard_requests(session: Session, req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    if req.method() == Method::GET && is_page(req.uri().path()) {
        let signed_in = matches!(session.get::<Uuid>(USER_ID_KEY).await, Ok(Some(_)));
        if !signed_in {
            let wanted = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let location = if wanted == "/" {
                "/sign-in".to_owned()
            } else {
                format!("/sign-in?next={}", percent_encode(wanted))
            };
            return Redirect::to(&location).into_response();
        }
    }
    next.run(req).await
}

fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/sign-in"
        || path == "/favicon.ico")
}

/// A POST that names its origin must come from this site; browsers always send `Origin` on POST.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    origin_host.eq_ignore_ascii_case(host)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn healthz(State(state): State<AppState>) -> Response {
    let probe = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("select 1").execute(&state.pool),
    )
    .await;
    match probe {
        Ok(Ok(_)) => {
            Json(serde_json::json!({ "status": "ok", "database": "reachable" })).into_response()
        }
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "degraded", "database": "unreachable" })),
        )
            .into_response(),
    }
}

/// Background upkeep: expired sessions and stale sign-in attempts.
pub fn spawn_cleanup(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let store = PostgresStore::new(pool.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(err) = tower_sessions::ExpiredDeletion::delete_expired(&store).await {
                tracing::warn!(%err, "deleting expired sessions failed");
            }
            if let Err(err) = app::features::auth::repo::delete_old_sign_in_attempts(&pool).await {
                tracing::warn!(%err, "deleting old sign-in attempts failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_need_sign_in_but_assets_and_api_do_not() {
        assert!(is_page("/"));
        assert!(is_page("/approvals"));
        assert!(is_page("/no-such-page"));
        for open in [
            "/sign-in",
            "/healthz",
            "/favicon.ico",
            "/pkg/certdesk.js",
            "/api/auth/me",
        ] {
            assert!(!is_page(open), "{open}");
        }
    }

    #[test]
    fn next_parameter_is_encoded() {
        assert_eq!(
            percent_encode("/users?after=a@b.c"),
            "/users%3Fafter%3Da%40b.c"
        );
    }

    #[test]
    fn origin_must_match_host_when_present() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers));
        headers.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        headers.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
    }
}
