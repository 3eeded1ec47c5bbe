//! From configuration to a running router: database, migrations, state, routes and middleware.

use anyhow::Context;
use app::features::auth::service::{disable_demo_accounts, ensure_demo_accounts};
use app::features::auth::sso::{self, SsoProvider};
use app::server::digicert::{ClientSettings, DigicertClient, RateLimiter, digicert_windows};
use app::server::{AppState, Config};
use app::{App, error::AppError, shell};
use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, postgres::PgPoolOptions};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeader;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

/// Largest request body the portal reads (a form with a 64 KiB CSR and every other field full
/// fits well inside); larger ones are answered 413 before any handler runs.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

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
    portal_pool_options()
        .connect_with(options)
        .await
        .map_err(|err| anyhow::anyhow!("cannot reach the {target}: {err}"))
}

/// The portal's pool. A connection is not pinged on every checkout (a round trip per query,
/// three per page): one that broke fails its statement and is closed, and connections are
/// replaced after sqlx's idle timeout (10 min) and lifetime (30 min). The load test's bare SQL
/// uses the same options, so its baseline pays what the portal pays.
pub fn portal_pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
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
    // Certificates kept on their request before orders held certificates move to `certificates`.
    let moved = app::features::certificates::repo::move_stored_certificates(pool)
        .await
        .map_err(|err| anyhow::anyhow!("moving stored certificates failed: {err}"))?;
    if moved > 0 {
        tracing::info!(moved, "stored certificates moved to their orders");
    }
    Ok(())
}

/// Where the portal connects, and the schema owner when that is another role.
pub struct DatabaseUrls {
    pub portal: SecretString,
    pub owner: Option<SecretString>,
}

/// Connects the portal. With an owner URL, migrations and grants run as the owner and the portal's
/// role gets exactly its privileges; without one, the portal's role migrates itself (and is
/// warned about).
pub async fn open_database(urls: &DatabaseUrls) -> anyhow::Result<PgPool> {
    let pool = connect(&urls.portal).await?;
    match &urls.owner {
        Some(owner_url) => {
            let owner = connect(owner_url).await?;
            prepare_database(&owner).await?;
            let role = sqlx::query_scalar!(r#"select current_user::text as "role!""#)
                .fetch_one(&pool)
                .await?;
            grant_portal_role(&owner, &role).await?;
            owner.close().await;
        }
        None => prepare_database(&pool).await?,
    }
    warn_if_privileged(&pool).await?;
    Ok(pool)
}

/// The schema the portal needs as the owner runs it, and the portal's own role's privileges: read
/// and write what it works with, add to the audit log but never change or remove a row of it,
/// and own nothing (so it can neither alter a table nor disable a trigger).
pub async fn grant_portal_role(owner: &PgPool, role: &str) -> anyhow::Result<()> {
    let valid = !role.is_empty()
        && role.len() <= 63
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !role.as_bytes()[0].is_ascii_digit();
    if !valid {
        anyhow::bail!(
            "{role:?} is not a role name certdesk grants to (lower-case letters, digits, _)"
        );
    }
    let owns = sqlx::query_scalar!(
        r#"select exists (select 1 from pg_tables where schemaname = 'public' and tableowner = $1)
                  as "owns!""#,
        role
    )
    .fetch_one(owner)
    .await?;
    if owns {
        anyhow::bail!(
            "the role {role} owns certdesk's tables; the portal needs a role that owns nothing"
        );
    }
    let statements = [
        format!("grant usage on schema public, tower_sessions to \"{role}\""),
        format!(
            "grant select, insert, update, delete on all tables in schema public to \"{role}\""
        ),
        format!("grant select, insert, update, delete on tower_sessions.session to \"{role}\""),
        format!("grant usage, select on all sequences in schema public to \"{role}\""),
        format!("revoke all on _sqlx_migrations from \"{role}\""),
        format!("revoke update, delete, truncate on audit_events from \"{role}\""),
    ];
    let mut tx = owner.begin().await?;
    for statement in statements {
        sqlx::query(&statement)
            .execute(&mut *tx)
            .await
            .with_context(|| {
                format!("granting the portal role its privileges failed: {statement}")
            })?;
    }
    tx.commit().await?;
    Ok(())
}

/// The portal's role should own nothing; say so at start-up when it owns the tables or is a
/// superuser (one `DATABASE_URL` for everything, as in a quick trial).
pub async fn warn_if_privileged(pool: &PgPool) -> anyhow::Result<()> {
    struct PortalRole {
        name: String,
        superuser: bool,
        owns_tables: bool,
    }
    let role = sqlx::query_as!(
        PortalRole,
        r#"select current_user::text as "name!",
                  coalesce((select rolsuper from pg_roles where rolname = current_user), false)
                    as "superuser!",
                  exists (select 1 from pg_tables
                           where schemaname = 'public' and tableowner = current_user)
                    as "owns_tables!""#
    )
    .fetch_one(pool)
    .await?;
    if role.superuser || role.owns_tables {
        tracing::warn!(
            role = role.name,
            superuser = role.superuser,
            owns_tables = role.owns_tables,
            "the portal's database role can alter certdesk's tables and its audit trigger; set \
             CERTDESK_MIGRATION_DATABASE_URL to the owner and DATABASE_URL to a role that owns \
             nothing (README: Database roles)"
        );
    }
    Ok(())
}

/// The browser bundle under `/pkg`. A release build leaves a brotli and a gzip copy beside each
/// file (`scripts/compress-site.sh`); browsers that accept one get it. `no-cache` lets browsers
/// keep the files but ask (`If-Modified-Since`, answered 304) whether a release replaced them,
/// since their names stay the same from one release to the next.
fn bundle_files(
    site_root: &str,
) -> SetResponseHeader<tower_http::services::ServeDir, axum::http::HeaderValue> {
    let files = tower_http::services::ServeDir::new(std::path::Path::new(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    SetResponseHeader::overriding(
        files,
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    )
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

/// Builds the shared state. In demo mode the demo users are seeded (or get a new password);
/// outside it, demo users left from an earlier demo are disabled, and the log says so.
pub async fn build_state(
    config: Config,
    pool: PgPool,
    digicert: DigicertTarget,
) -> anyhow::Result<AppState> {
    let mut settings = ClientSettings::new(digicert.base_url, digicert.api_key);
    // One budget for every process on this database: DigiCert counts per key, not per process.
    settings.limiter = RateLimiter::shared(pool.clone(), digicert_windows());
    let client = DigicertClient::new(settings)
        .map_err(|err| anyhow::anyhow!("cannot set up the DigiCert client: {err}"))?;
    let demo = if config.demo_mode() {
        ensure_demo_accounts(&pool)
            .await
            .map_err(|err| anyhow::anyhow!("seeding the demo users failed: {err}"))?
            .map(Arc::new)
    } else {
        let disabled = disable_demo_accounts(&pool)
            .await
            .map_err(|err| anyhow::anyhow!("disabling the demo users failed: {err}"))?;
        if !disabled.is_empty() {
            tracing::warn!(
                accounts = %disabled.join(", "),
                "DIGICERT_API_KEY is set, so the demo accounts of an earlier demo run were \
                 deactivated and signed out; create real accounts with `certdesk user add`"
            );
        }
        None
    };
    let order_options = Arc::new(app::features::requests::options::OptionsCache::new(
        std::time::Duration::from_secs(u64::from(config.digicert_lists_seconds)),
    ));
    let sso = config
        .oidc
        .clone()
        .map(SsoProvider::new)
        .transpose()
        .map_err(|err| anyhow::anyhow!(err))?
        .map(Arc::new);
    Ok(AppState {
        sso,
        leptos_options: leptos_options(&config),
        config: Arc::new(config),
        pool,
        digicert: Arc::new(client),
        order_options,
        demo,
    })
}

/// The pages' routes, worked out once per process. Leptos works them out by running the app with
/// resource loading switched off for the whole process (`leptos_server`'s
/// `SuppressResourceLoad`): a page rendering anywhere else in the process at that moment waits
/// forever for its data, and its request ends in the 503 of the request timeout. A process that
/// builds a second router while the first serves (every HTTP test does) must not do that again.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let idle = time::Duration::minutes(i64::from(state.config.session_idle_minutes));
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name("certdesk_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(idle));
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    let request_timeout = Duration::from_secs(u64::from(state.config.request_timeout_seconds));
    Router::new()
        .route("/healthz", get(crate::observability::healthz))
        .route("/metrics", get(crate::observability::metrics_with_token))
        .route("/requests/{id}/certificate.pem", get(download_certificate))
        .route("/requests/{id}/chain.pem", get(download_chain))
        .route("/certificates.csv", get(export_certificates))
        .route(
            "/requests/{id}/certificates/{certificate}/{file}",
            get(download_certificate_of_order),
        )
        .route("/history.csv", get(export_history))
        .route("/auth/oidc/start", get(sso::routes::start))
        .route("/auth/oidc/callback", get(sso::routes::callback))
        .nest_service("/pkg", bundle_files(&state.config.site_root))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_state.clone());
                provide_context(app::server::context::RequestUser::default());
            },
            move || shell(shell_options.clone()),
        )
        .route_layer(middleware::from_fn(crate::observability::remember_route))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(status_for_server_fn_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::security::guard_requests,
        ))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::security::security_headers,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!(
                        "request",
                        id = %crate::observability::request_id_of(req),
                        method = %req.method(),
                        path = %req.uri().path(),
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(middleware::from_fn(crate::observability::observe))
        .layer(middleware::from_fn(owner_per_request))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish (at
/// most ten seconds). HTTP/1.1 behind the company's TLS proxy; Nagle's algorithm is off on every
/// connection (a streamed page's last chunk would otherwise wait for the browser's delayed ACK),
/// and a connection that has not sent its request headers within `header_timeout` is closed, so
/// slow clients cannot hold connections open.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper::server::conn::http1;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::warn!(%err, "cannot turn off Nagle's algorithm");
        }
        let service = router
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = watched.await {
                tracing::debug!(%err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("open connections did not finish within 10 s; closing them");
        }
    }
    Ok(())
}

/// Fetches DigiCert's common lists once in the background, so the first people to open a form or
/// the approval queue do not wait for them. A failure is only logged: pages fetch them again.
pub fn warm_digicert_lists(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let names = app::features::requests::options::organization_names(
            &state.digicert,
            &state.order_options,
        )
        .await;
        if names.is_empty() {
            tracing::info!("DigiCert's lists could not be fetched yet; pages will ask again");
        }
    });
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
            let mut settings = WorkerSettings::new(owner);
            settings.renew_window_days = state.config.renew_window_days;
            let worker = Worker::new(state.pool.clone(), state.digicert.clone(), settings);
            tokio::spawn(worker.run(std::future::pending()))
        })
        .chain(spawn_mail_sender(state))
        .collect()
}

/// One mail sender per process when an SMTP server is configured (the outbox's lease keeps
/// several processes from sending one mail twice); without one, mail is kept for the Mail page.
fn spawn_mail_sender(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    use app::features::mail::sender::{MailSender, MailSettings};
    let smtp_url = state.config.smtp_url.as_ref()?;
    let settings = match MailSettings::new(
        smtp_url,
        &state.config.mail_from,
        &state.config.portal_url(),
    ) {
        Ok(settings) => Arc::new(settings),
        Err(problem) => {
            tracing::error!(%problem, "mail is not sent");
            return None;
        }
    };
    let owner = format!("mail:{}:{}", std::process::id(), Uuid::new_v4().simple());
    let sender = MailSender::new(state.pool.clone(), settings, owner);
    Some(tokio::spawn(sender.run(std::future::pending())))
}

/// `GET /requests/{id}/certificate.pem`: the issued leaf, for whoever may see the request.
async fn download_certificate(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    download(&state, &session, id, None, false).await
}

/// `GET /requests/{id}/chain.pem`: leaf, intermediates and root.
/// `GET /requests/{id}/certificates/{certificate}/certificate.pem` (or `chain.pem`): one of the
/// order's certificates, current or not.
async fn download_certificate_of_order(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path((id, certificate, file)): axum::extract::Path<(i64, i64, String)>,
) -> Response {
    let chain = match file.as_str() {
        "certificate.pem" => false,
        "chain.pem" => true,
        _ => return crate::security::plain_error(&AppError::NotFound),
    };
    download(&state, &session, id, Some(certificate), chain).await
}

async fn download_chain(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    download(&state, &session, id, None, true).await
}

/// The Certificates view's filters, as its GET form sends them.
#[derive(serde::Deserialize)]
struct CertificatesFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    action: String,
}

/// `GET /certificates.csv?q=…&action=…`: the Certificates view as CSV (a requester's own,
/// everyone's for admins), read a page at a time.
async fn export_certificates(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(filter): axum::extract::Query<CertificatesFilter>,
) -> Response {
    use app::features::certificates::model::NextAction;
    use app::features::certificates::repo::{CurrentQuery, Scope, csv_stream};
    use futures::TryStreamExt;
    let refuse = |err: AppError| crate::security::plain_error(&err);
    let user = match app::server::context::usable_user_of_session(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/sign-in?next=/certificates").into_response(),
        Err(err) => return refuse(err),
    };
    let scope = match Scope::of(&user) {
        Ok(scope) => scope,
        Err(err) => return refuse(err),
    };
    if let Err(err) = app::server::search::check_search_lengths(&[("q", &filter.q)]) {
        return refuse(err);
    }
    let action = match filter.action.as_str() {
        "" => None,
        other => match NextAction::parse(other) {
            Some(action) => Some(action),
            None => {
                return refuse(AppError::BadRequest(
                    "action is renew, reissue or dcv".into(),
                ));
            }
        },
    };
    let query = CurrentQuery {
        scope,
        names: app::server::search::contains_pattern(&filter.q),
        action,
        after: None,
        limit: 500,
        renew_window_days: state.config.renew_window_days,
    };
    let day = time::OffsetDateTime::now_utc().date();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"certdesk-certificates-{day}.csv\""),
            ),
        ],
        Body::from_stream(
            csv_stream(state.pool.clone(), query)
                .map_err(|err| std::io::Error::other(err.to_string())),
        ),
    )
        .into_response()
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
    let refuse = |err: AppError| crate::security::plain_error(&err);
    let user = match app::server::context::usable_user_of_session(&state, &session).await {
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

async fn download(
    state: &AppState,
    session: &Session,
    id: i64,
    certificate: Option<i64>,
    chain: bool,
) -> Response {
    use app::features::requests::service::certificate_for;
    let user = match app::server::context::usable_user_of_session(state, session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to(&format!("/sign-in?next=/requests/{id}")).into_response(),
        Err(err) => return crate::security::plain_error(&err),
    };
    match certificate_for(&state.pool, &user, id, certificate, chain).await {
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
        Err(err) => crate::security::plain_error(&err),
    }
}

/// Keeps Leptos' "current reactive owner" with the request that set it.
///
/// Leptos makes a page's root owner the thread's current owner when it starts rendering, leaves
/// it there, and reads it again later in the same render (to announce the page's wasm chunks).
/// Whatever that thread polled next — a static file, a server function, another page — created
/// its own owner beneath that page's and found the page's contexts: the static file handler took
/// the page's `ResponseOptions` (its Content-Security-Policy and status) for itself, and the page
/// went out with the closed policy of an asset. So each poll of a request starts with the owner
/// this request left behind (or none), and takes it away again when the poll ends.
async fn owner_per_request(req: Request, next: Next) -> Response {
    use leptos::prelude::Owner;
    let mut response = std::pin::pin!(next.run(req));
    let mut own: Option<Owner> = None;
    std::future::poll_fn(|cx| {
        match &own {
            Some(owner) => owner.set(),
            None => {
                if let Some(other) = Owner::current() {
                    other.unset();
                }
            }
        }
        let polled = response.as_mut().poll(cx);
        own = Owner::current();
        if let Some(owner) = &own {
            owner.clone().unset();
        }
        polled
    })
    .await
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

    /// Runs `sql` as `role` and answers PostgreSQL's error code, if any.
    async fn as_role(pool: &PgPool, role: &str, sql: &str) -> Option<String> {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(&format!("set local role {role}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        let outcome = sqlx::query(sql).execute(&mut *tx).await;
        tx.rollback().await.unwrap();
        outcome.err().and_then(|e| {
            e.as_database_error()
                .and_then(|d| d.code().map(|c| c.into_owned()))
        })
    }

    #[sqlx::test(migrations = false)]
    async fn the_portal_role_cannot_change_the_audit_log_nor_its_trigger(pool: PgPool) {
        prepare_database(&pool).await.unwrap();
        let role = "certdesk_portal_grant_test";
        sqlx::query(&format!(
            "do $$ begin create role {role} nologin; exception when duplicate_object or unique_violation then null; end $$"
        ))
        .execute(&pool)
        .await
        .unwrap();
        grant_portal_role(&pool, role).await.unwrap();
        sqlx::query("insert into audit_events (action) values ('seeded')")
            .execute(&pool)
            .await
            .unwrap();
        let denied = Some("42501".to_owned());
        for refused in [
            "update audit_events set action = 'forged'",
            "delete from audit_events",
            "truncate audit_events",
            "alter table audit_events disable trigger audit_events_append_only",
            "drop trigger audit_events_append_only on audit_events",
            "alter table requests disable trigger requests_transition",
            "drop table sign_in_attempts",
            "delete from _sqlx_migrations",
        ] {
            assert_eq!(as_role(&pool, role, refused).await, denied, "{refused}");
        }
        for allowed in [
            "insert into audit_events (action) values ('signed_in')",
            "select count(*) from audit_events",
            "select count(*) from users",
            "delete from sign_in_attempts",
            "select count(*) from tower_sessions.session",
        ] {
            assert_eq!(as_role(&pool, role, allowed).await, None, "{allowed}");
        }
    }

    #[sqlx::test(migrations = false)]
    async fn a_role_that_owns_the_tables_is_not_granted_to(pool: PgPool) {
        prepare_database(&pool).await.unwrap();
        let owner: String = sqlx::query_scalar("select current_user::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(grant_portal_role(&pool, &owner).await.is_err());
        assert!(
            grant_portal_role(&pool, "robert'); drop table users; --")
                .await
                .is_err()
        );
    }
}
