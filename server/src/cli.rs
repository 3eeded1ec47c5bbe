//! The `certdesk` command line.

use crate::{embedded_pg::EmbeddedPostgres, startup, telemetry};
use anyhow::{Context, bail};
use app::features::auth::service::{NewUserInput, create_user};
use app::server::Config;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::{io::BufRead, net::SocketAddr};
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
    /// Start or stop the private PostgreSQL cluster under the data directory.
    Db {
        #[command(subcommand)]
        action: DbAction,
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
    /// Start the cluster (creating it the first time) and print its DATABASE_URL.
    Start,
    /// Stop the cluster.
    Stop,
}

/// Postgres port of the private cluster; it names the socket file, nothing listens on TCP.
const EMBEDDED_PORT: u16 = 5432;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env().map_err(|msg| anyhow::anyhow!("configuration: {msg}"))?;
    telemetry::init(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => with_database(&config, |url| serve(config.clone(), url)).await,
        Command::User {
            action:
                UserAction::Add {
                    email,
                    name,
                    roles,
                    password_stdin: _,
                },
        } => {
            let password = read_password_line()?;
            with_database(&config, |url| async move {
                let pool = startup::connect(&url).await?;
                startup::prepare_database(&pool).await?;
                let input = NewUserInput {
                    email,
                    display_name: name,
                    roles,
                    password,
                };
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
                                .map(|(field, msgs)| {
                                    format!("{}: {}", flag_for(field), msgs.join(" "))
                                })
                                .collect();
                            bail!("user not created\n  {}", problems.join("\n  "))
                        }
                        None => bail!("user not created: {err}"),
                    },
                }
            })
            .await
        }
        Command::Db { action } => {
            if config.database_url.is_some() {
                bail!("DATABASE_URL is set; the private cluster is used only without it");
            }
            match action {
                DbAction::Start => {
                    let cluster = EmbeddedPostgres::start(&config.data_dir, EMBEDDED_PORT).await?;
                    println!("{}", cluster.database_url().expose_secret());
                }
                DbAction::Stop => {
                    EmbeddedPostgres::new(&config.data_dir, EMBEDDED_PORT)?.stop(true)?
                }
            }
            Ok(())
        }
    }
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

/// Runs `work` against `DATABASE_URL`, or against the private cluster, started for the
/// duration and stopped afterwards if this process started it.
async fn with_database<F, Fut>(config: &Config, work: F) -> anyhow::Result<()>
where
    F: FnOnce(SecretString) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    if let Some(url) = &config.database_url {
        return work(url.clone()).await;
    }
    let cluster = EmbeddedPostgres::start(&config.data_dir, EMBEDDED_PORT).await?;
    let result = work(cluster.database_url()).await;
    if let Err(err) = tokio::task::block_in_place(|| cluster.stop(false)) {
        tracing::warn!(%err, "stopping the private PostgreSQL cluster failed");
    }
    result
}

async fn serve(config: Config, database_url: SecretString) -> anyhow::Result<()> {
    let pool = startup::connect(&database_url).await?;
    startup::prepare_database(&pool).await?;
    let state = startup::build_state(config.clone(), pool.clone()).await?;
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
    let cleanup = startup::spawn_cleanup(pool.clone());
    axum::serve(
        listener,
        startup::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the HTTP server failed")?;
    cleanup.abort();
    pool.close().await;
    tracing::info!("certdesk stopped");
    Ok(())
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
