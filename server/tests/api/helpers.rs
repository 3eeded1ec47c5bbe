//! Starts the real certdesk router on port 0 against a fresh database of its own.

use app::features::auth::service::{NewUserInput, create_user};
use app::server::Config;
use certdesk::simulator::{SimSettings, Simulator};
use certdesk::startup::{self, DigicertTarget, with_database_name};
use reqwest::{Client, redirect::Policy};
use secrecy::SecretString;
use sqlx::{
    Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use std::{collections::HashMap, net::SocketAddr};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    /// The DigiCert simulator this app talks to.
    pub sim: TestSim,
}

/// A simulator on its own loopback port, as the portal reaches DigiCert.
pub struct TestSim {
    pub simulator: Simulator,
    pub base_url: String,
    pub key: String,
}

pub const SIM_KEY: &str = "sim-test-key";

pub async fn spawn_simulator(settings: SimSettings) -> TestSim {
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
    let url = with_database_name(&base, &name);
    (pool, url)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra environment settings, e.g. `("CERTDESK_COOKIE_SECURE", "true")`.
/// A DigiCert key is set unless the settings clear it, so tests run outside demo mode by default.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let (pool, _) = fresh_database().await;
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
        env.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let sim = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let state = startup::build_state(config, pool.clone(), sim.target())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The forwarding workers run as in production (CERTDESK_WORKERS, default one).
    startup::spawn_workers(&state, state.config.workers);
    let router = startup::router(state);
    tokio::spawn(async move {
        axum::serve(
            startup::without_nagle(listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        address: format!("http://{addr}"),
        pool,
        sim,
    }
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

    pub async fn me(&self, client: &Client) -> serde_json::Value {
        self.call(client, "/api/auth/me", &[])
            .await
            .json()
            .await
            .unwrap()
    }
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
