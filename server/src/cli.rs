//! The `certdesk` command line.

use crate::{embedded_pg::EmbeddedPostgres, startup, telemetry};
use anyhow::{Context, bail};
use app::features::auth::service::{NewUserInput, create_user};
use app::server::Config;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::{io::BufRead, process::ExitCode, time::Duration};
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(
    name = "certdesk",
    version,
    about = "certdesk: order DigiCert certificates with approval"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the portal (the default).
    Serve,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Run the DigiCert simulator on its own (CertCentral Services API under /services/v2).
    #[cfg(feature = "simulator")]
    DigicertSim(crate::simulator::cli::SimArgs),
    /// Start or stop the private PostgreSQL cluster under the data directory.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Check certificate signing requests the way the order forms do.
    Csr {
        #[command(subcommand)]
        action: CsrAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum CsrAction {
    /// Print a JSON verdict (ok, errors, warnings, subject, SANs, key) for a PEM or DER CSR.
    /// Exits 0 when the CSR is accepted, 1 when it is rejected, 2 when the file cannot be read.
    Inspect {
        /// The CSR file, or `-` for standard input.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// requester, approver or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DbAction {
    /// Start the cluster (creating it the first time) and print the schema owner's URL.
    Start,
    /// Stop the cluster.
    Stop,
    /// Start the cluster if needed and print the URL of the portal's own role.
    PortalUrl,
    /// Give ROLE exactly the privileges the portal needs, running as the schema owner
    /// (CERTDESK_MIGRATION_DATABASE_URL, else DATABASE_URL); migrations run first.
    Grant {
        #[arg(long)]
        role: String,
    },
}

/// Postgres port of the private cluster; it names the socket file, nothing listens on TCP.
const EMBEDDED_PORT: u16 = 5432;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        // Reads no configuration: it runs anywhere, even without a database.
        Command::Csr {
            action: CsrAction::Inspect { file },
        } => Ok(inspect_csr(&file)),
        command => run_with_config(command).await.map(|()| ExitCode::SUCCESS),
    }
}

/// `certdesk csr inspect`: the verdict on stdout as JSON. It never echoes the input, so a
/// private key given by mistake is not printed back.
fn inspect_csr(file: &std::path::Path) -> ExitCode {
    use std::io::Read;
    let mut input = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut input).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut input).map(|_| ()))
    };
    if let Err(err) = read {
        eprintln!("certdesk: cannot read {}: {err}", file.display());
        return ExitCode::from(2);
    }
    let mut report = app::features::csr::inspect(&input);
    report.pem = None;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a report always serialises")
    );
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn run_with_config(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env().map_err(|msg| anyhow::anyhow!("configuration: {msg}"))?;
    telemetry::init(config.log_format);
    match command {
        Command::Csr { .. } => unreachable!("answered before the configuration is read"),
        #[cfg(feature = "simulator")]
        Command::DigicertSim(args) => crate::simulator::cli::run(args, shutdown_signal()).await,
        Command::Serve => with_database(&config, |urls| serve(config.clone(), urls)).await,
        Command::User {
            action:
                UserAction::Add {
                    email,
                    name,
                    roles,
                    password_stdin: _,
                },
        } => {
            let input = NewUserInput {
                email,
                display_name: name,
                roles,
                password: read_password_line()?,
            };
            with_database(&config, |urls| add_user(urls, input)).await
        }
        Command::Db {
            action: DbAction::Grant { role },
        } => grant(&config, &role).await,
        Command::Db { action } => private_cluster(&config, action).await,
    }
}

/// `certdesk user add`: the account, or each problem with the flag it came from.
async fn add_user(urls: startup::DatabaseUrls, input: NewUserInput) -> anyhow::Result<()> {
    let pool = startup::connect(urls.owner.as_ref().unwrap_or(&urls.portal)).await?;
    startup::prepare_database(&pool).await?;
    match create_user(&pool, input, None).await {
        Ok(id) => {
            println!("created user {id}");
            Ok(())
        }
        Err(err) => match err.form() {
            Some(form) => {
                let problems: Vec<String> = form
                    .fields
                    .iter()
                    .map(|(field, msgs)| format!("{}: {}", flag_for(field), msgs.join(" ")))
                    .collect();
                bail!("user not created\n  {}", problems.join("\n  "))
            }
            None => bail!("user not created: {err}"),
        },
    }
}

/// `certdesk db grant ROLE`: run by the schema's owner.
async fn grant(config: &Config, role: &str) -> anyhow::Result<()> {
    let Some(url) = config
        .migration_database_url
        .as_ref()
        .or(config.database_url.as_ref())
    else {
        bail!("set DATABASE_URL (or CERTDESK_MIGRATION_DATABASE_URL) to the schema owner");
    };
    let owner = startup::connect(url).await?;
    startup::prepare_database(&owner).await?;
    startup::grant_portal_role(&owner, role).await?;
    println!("granted {role} what the portal needs (and nothing it does not)");
    Ok(())
}

/// `certdesk db start | stop | portal-url`: the private cluster in the data directory.
async fn private_cluster(config: &Config, action: DbAction) -> anyhow::Result<()> {
    if config.database_url.is_some() {
        bail!("DATABASE_URL is set; the private cluster is used only without it");
    }
    match action {
        DbAction::Start => {
            let cluster = EmbeddedPostgres::start(&config.data_dir, EMBEDDED_PORT).await?;
            println!("{}", cluster.database_url().expose_secret());
        }
        DbAction::Stop => EmbeddedPostgres::new(&config.data_dir, EMBEDDED_PORT)?.stop(true)?,
        DbAction::PortalUrl => {
            let cluster = EmbeddedPostgres::start(&config.data_dir, EMBEDDED_PORT).await?;
            println!("{}", cluster.portal_url()?.expose_secret());
        }
        DbAction::Grant { .. } => unreachable!("answered by `grant`"),
    }
    Ok(())
}

/// The command-line flag a form field came from, for error messages.
fn flag_for(field: &str) -> &str {
    match field {
        "display_name" => "--name",
        "roles" => "--role",
        "password" => "password",
        "email" => "--email",
        other => other,
    }
}

fn read_password_line() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(
            "no password on standard input (pipe it in, e.g. `printf '%s' \"$PW\" | certdesk user add ... --password-stdin`)"
        );
    }
    Ok(SecretString::from(password))
}

/// Runs `work` against `DATABASE_URL` (with `CERTDESK_MIGRATION_DATABASE_URL` as the owner, when
/// set), or against the private cluster (its portal role and owner), started for the duration
/// and stopped afterwards if this process started it.
async fn with_database<F, Fut>(config: &Config, work: F) -> anyhow::Result<()>
where
    F: FnOnce(startup::DatabaseUrls) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    if let Some(url) = &config.database_url {
        return work(startup::DatabaseUrls {
            portal: url.clone(),
            owner: config.migration_database_url.clone(),
        })
        .await;
    }
    let cluster = EmbeddedPostgres::start(&config.data_dir, EMBEDDED_PORT).await?;
    let result = match cluster.portal_url() {
        Ok(portal) => {
            work(startup::DatabaseUrls {
                portal,
                owner: Some(cluster.database_url()),
            })
            .await
        }
        Err(err) => Err(err),
    };
    if let Err(err) = tokio::task::block_in_place(|| cluster.stop(false)) {
        tracing::warn!(%err, "stopping the private PostgreSQL cluster failed");
    }
    result
}

/// The simulator demo mode runs in this process; a build without it has none.
#[cfg(feature = "simulator")]
type DemoSimulator = crate::simulator::EmbeddedSimulator;
#[cfg(not(feature = "simulator"))]
type DemoSimulator = std::convert::Infallible;

async fn serve(config: Config, urls: startup::DatabaseUrls) -> anyhow::Result<()> {
    let pool = startup::open_database(&urls).await?;
    // Demo mode: the simulator runs inside this process, on its own loopback port.
    #[cfg_attr(not(feature = "simulator"), allow(unused_variables))]
    let (target, simulator): (_, Option<DemoSimulator>) = match &config.digicert_api_key {
        Some(key) => (
            startup::DigicertTarget {
                base_url: config.digicert_base_url.clone(),
                api_key: key.clone(),
            },
            None,
        ),
        #[cfg(feature = "simulator")]
        None => {
            let embedded = crate::simulator::EmbeddedSimulator::start(&config).await?;
            tracing::info!(url = %embedded.target.base_url, "DigiCert simulator running (demo mode)");
            (embedded.target.clone(), Some(embedded))
        }
        #[cfg(not(feature = "simulator"))]
        None => bail!(
            "DIGICERT_API_KEY is not set, and this build has no DigiCert simulator for demo mode \
             (it was built without the `simulator` feature): set DIGICERT_API_KEY"
        ),
    };
    let state = startup::build_state(config.clone(), pool.clone(), target).await?;
    if let Some(demo) = &state.demo {
        println!(
            "\n  certdesk demo mode (no DIGICERT_API_KEY): sign in as {} with password {}\n",
            demo.emails.join(", "),
            demo.password
        );
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("certdesk is serving http://{}", listener.local_addr()?);
    let metrics_server = match config.metrics_listen {
        Some(address) => Some(serve_metrics(address, &state).await?),
        None => None,
    };
    let cleanup = startup::spawn_cleanup(pool.clone());
    let workers = startup::spawn_workers(&state, config.workers);
    startup::warm_digicert_lists(&state);
    startup::serve(
        listener,
        startup::router(state.clone()),
        Duration::from_secs(u64::from(config.header_timeout_seconds)),
        shutdown_signal(),
    )
    .await
    .context("the HTTP server failed")?;
    cleanup.abort();
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    // A job in hand is left to its lease; the next worker to start resumes it.
    workers.iter().for_each(|w| w.abort());
    #[cfg(feature = "simulator")]
    if let Some(simulator) = simulator {
        simulator.stop().await;
    }
    pool.close().await;
    tracing::info!("certdesk stopped");
    Ok(())
}

/// The metrics on their own listener (`CERTDESK_METRICS_LISTEN`), for a scraper inside the
/// company network; answers the task serving them.
async fn serve_metrics(
    address: std::net::SocketAddr,
    state: &app::server::AppState,
) -> anyhow::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    let metrics_listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    tracing::info!(
        "metrics on http://{}/metrics",
        metrics_listener.local_addr()?
    );
    let router = crate::observability::metrics_router(state.clone());
    Ok(tokio::spawn(async move {
        axum::serve(metrics_listener, router).await
    }))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
