//! Starts the real certdesk router on port 0 against a fresh database of its own.

use app::features::auth::service::{NewUserInput, create_user};
use app::server::{AppState, Config};
use certdesk::simulator::{SimSettings, Simulator};
use certdesk::startup::{self, DigicertTarget, with_database_name};
use reqwest::{Client, redirect::Policy};
use secrecy::SecretString;
use sqlx::{
    Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    /// The database as its owner, for tests to look at and prepare.
    pub pool: PgPool,
    /// The app's own pool, acting as the portal's role.
    pub app_pool: PgPool,
    /// The DigiCert simulator this app talks to.
    pub sim: TestSim,
    /// The app's state, as its router got it.
    pub state: AppState,
}

/// How long one HTTP test may run before the watchdog ends the run.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(240);

/// A thread that waits out [`TEST_TIME_LIMIT`] and, unless the test finished first (dropping
/// this), names the test and exits the process: a stalled test fails CI with a message instead
/// of holding it until its own timeout. A thread, not a task, so a blocked runtime cannot stop it.
pub struct Watchdog {
    done: Arc<(Mutex<bool>, Condvar)>,
}

thread_local! {
    /// The watchdog of the test running on this thread. Each test runs on a thread of its own,
    /// and this is dropped only when that thread ends — after the test's runtime has shut down,
    /// so a test stuck in its runtime's shutdown is caught too.
    static THIS_TEST: std::cell::RefCell<Option<Watchdog>> = const { std::cell::RefCell::new(None) };
}

impl Watchdog {
    pub fn arm_for_this_test() {
        THIS_TEST.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                let limit = std::env::var("CERTDESK_TEST_TIME_LIMIT_SECONDS")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .map_or(TEST_TIME_LIMIT, Duration::from_secs);
                *slot = Some(Watchdog::start(limit));
            }
        });
    }

    pub fn start(limit: Duration) -> Watchdog {
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let test = std::thread::current()
            .name()
            .unwrap_or("an HTTP test")
            .to_owned();
        let watched = done.clone();
        std::thread::spawn(move || {
            let (finished, signal) = &*watched;
            let guard = finished.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) = signal
                .wait_timeout_while(guard, limit, |finished| !*finished)
                .unwrap_or_else(|e| e.into_inner());
            if !*guard {
                use std::io::Write;
                // Straight to the process's stderr: the test harness captures `eprintln!`.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n\nFAILED: {test} did not finish within {} s; stopping the test run so CI \
                     does not hang.\n",
                    limit.as_secs()
                );
                std::process::exit(101);
            }
        });
        Watchdog { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (finished, signal) = &*self.done;
        *finished.lock().unwrap_or_else(|e| e.into_inner()) = true;
        signal.notify_all();
    }
}

/// A simulator on its own loopback port, as the portal reaches DigiCert.
/// Starting one also arms the test's watchdog: every HTTP or client test starts a simulator.
pub struct TestSim {
    pub simulator: Simulator,
    pub base_url: String,
    pub key: String,
}

pub const SIM_KEY: &str = "sim-test-key";

pub async fn spawn_simulator(settings: SimSettings) -> TestSim {
    Watchdog::arm_for_this_test();
    let key = settings.api_keys[0].0.clone();
    let simulator = Simulator::new(settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(simulator.clone().serve(listener, std::future::pending()));
    TestSim {
        simulator,
        base_url: format!("http://{addr}/services/v2"),
        key,
    }
}

impl TestSim {
    pub fn target(&self) -> DigicertTarget {
        DigicertTarget {
            base_url: self.base_url.clone(),
            api_key: SecretString::from(self.key.clone()),
        }
    }
}

fn base_database_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server for the HTTP tests (scripts/test.sh sets it)")
}

/// A new, migrated database; returns its pool and URL.
pub async fn fresh_database() -> (PgPool, String) {
    let base = base_database_url();
    let name = format!("certdesk_http_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&base)
        .await
        .expect("connect to DATABASE_URL");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let options: PgConnectOptions = base.parse::<PgConnectOptions>().unwrap().database(&name);
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await
        .unwrap();
    startup::prepare_database(&pool).await.unwrap();
    ensure_role(&pool, PORTAL_ROLE).await;
    startup::grant_portal_role(&pool, PORTAL_ROLE)
        .await
        .unwrap();
    let url = with_database_name(&base, &name);
    (pool, url)
}

/// The role the apps under test run as, with exactly the portal's privileges.
pub const PORTAL_ROLE: &str = "certdesk_portal";

/// Roles belong to the whole cluster and tests run in parallel: creating one that another test
/// just created is fine.
pub async fn ensure_role(pool: &PgPool, role: &str) {
    sqlx::query(&format!(
        "do $$ begin create role {role} nologin; exception when duplicate_object or unique_violation then null; end $$"
    ))
    .execute(pool)
    .await
    .unwrap();
}

/// A pool on the same database whose connections act as the portal's role, as production does:
/// a privilege the portal lacks fails the tests too.
async fn portal_pool(pool: &PgPool) -> PgPool {
    let options = (*pool.connect_options()).clone();
    PgPoolOptions::new()
        .max_connections(10)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query(&format!("set role {PORTAL_ROLE}"))
                    .execute(conn)
                    .await
                    .map(|_| ())
            })
        })
        .connect_with(options)
        .await
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra environment settings, e.g. `("CERTDESK_COOKIE_SECURE", "true")`.
/// A DigiCert key is set unless the settings clear it, so tests run outside demo mode by default.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let (pool, _) = fresh_database().await;
    spawn_app_on(pool, settings).await
}

/// Starts an app on an existing database, as a restart (or a second instance) would. In a
/// setting's value `{address}` stands for the app's own address (as `CERTDESK_PUBLIC_URL` needs).
pub async fn spawn_app_on(pool: PgPool, settings: &[(&str, &str)]) -> TestApp {
    show_warnings_in_test_output();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut env: HashMap<String, String> = HashMap::from([
        ("CERTDESK_LISTEN".into(), "127.0.0.1:0".into()),
        ("DIGICERT_API_KEY".into(), "test-key".into()),
        // Tests run in server/; the site that `cargo leptos build` made is one level up.
        (
            "LEPTOS_SITE_ROOT".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into(),
        ),
    ]);
    for (k, v) in settings {
        env.insert(
            k.to_string(),
            v.replace("{address}", &format!("http://{addr}")),
        );
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let sim = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let app_pool = portal_pool(&pool).await;
    let state = startup::build_state(config, app_pool.clone(), sim.target())
        .await
        .unwrap();
    // The forwarding workers run as in production (CERTDESK_WORKERS, default one).
    startup::spawn_workers(&state, state.config.workers);
    let header_timeout = Duration::from_secs(u64::from(state.config.header_timeout_seconds));
    let router = startup::router(state.clone());
    tokio::spawn(startup::serve(
        listener,
        router,
        header_timeout,
        std::future::pending(),
    ));
    TestApp {
        address: format!("http://{addr}"),
        pool,
        app_pool,
        sim,
        state,
    }
}

/// The apps' warnings and errors go to the output of the test whose runtime logged them, which
/// the test harness shows when that test fails: a failure explains itself (a database error, a
/// timeout) instead of leaving only the assertion. `CERTDESK_TEST_LOG` (a `RUST_LOG`-style
/// filter) shows more, e.g. `warn,tower_http=debug` for every request and its latency.
fn show_warnings_in_test_output() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTDESK_TEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(filter)
        .try_init();
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn add_user(&self, email: &str, roles: &[&str]) -> Uuid {
        create_user(
            &self.pool,
            NewUserInput {
                email: email.into(),
                display_name: format!("Test {}", roles.join("+")),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                password: SecretString::from(PASSWORD.to_owned()),
            },
            None,
        )
        .await
        .unwrap()
    }

    /// Calls a server function the way the wasm client does (form-encoded in, JSON out).
    pub async fn call(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(endpoint))
            .header("accept", "application/json")
            .header("origin", &self.address)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> reqwest::Response {
        self.call(
            client,
            "/api/auth/sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A client signed in as a new user holding `roles`.
    pub async fn signed_in(&self, roles: &[&str]) -> Client {
        let email = format!(
            "{}-{}@example.com",
            roles.join("-"),
            Uuid::new_v4().simple()
        );
        self.add_user(&email, roles).await;
        let client = client();
        let res = self.sign_in(&client, &email, PASSWORD).await;
        assert_eq!(res.status(), 200, "sign-in of a fresh user failed");
        client
    }

    /// A page's HTML as `client` gets it; anything but 200 fails the test with what came instead.
    pub async fn page(&self, client: &Client, path: &str) -> String {
        let res = client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        let location = res.headers().get("location").cloned();
        let body = res.text().await.unwrap();
        assert_eq!(
            status,
            200,
            "{path} answered {status} (location {location:?}): {}",
            body.chars().take(600).collect::<String>()
        );
        body
    }

    /// A request's status as the database holds it.
    pub async fn status_of(&self, id: i64) -> String {
        sqlx::query_scalar("select status from requests where id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Waits for the worker to bring request `id` to `status` (at most 30 s).
    pub async fn wait_for_status(&self, id: i64, status: &str) {
        let started = std::time::Instant::now();
        loop {
            let now = self.status_of(id).await;
            if now == status {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "request {id} stayed {now}, never {status}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn me(&self, client: &Client) -> serde_json::Value {
        self.call(client, "/api/auth/me", &[])
            .await
            .json()
            .await
            .unwrap()
    }
}

/// The demo password as the sign-in page's banner shows it.
pub fn demo_password_on(page: &str) -> String {
    let start = page
        .find(r#"<code class="demo-password">"#)
        .expect("the sign-in page shows the demo password")
        + r#"<code class="demo-password">"#.len();
    // The text ends at the next tag (Leptos may follow it with a hydration marker).
    let end = start + page[start..].find('<').unwrap();
    page[start..end].to_owned()
}

/// The value of the session cookie in a response, if it sets one.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("certdesk_session="))
        .map(str::to_owned)
}

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        with_database_name("postgres://u@localhost:5432/postgres?host=/tmp/run", "x"),
        "postgres://u@localhost:5432/x?host=/tmp/run"
    );
    assert_eq!(
        with_database_name("postgres://u@h/db", "x"),
        "postgres://u@h/x"
    );
    assert_eq!(
        with_database_name("postgres://u@h", "x"),
        "postgres://u@h/x"
    );
}
