//! The private PostgreSQL cluster under the data directory, used when `DATABASE_URL` is unset.
//!
//! It listens only on a unix socket inside the data directory, so nothing else on the network
//! can reach it. PostgreSQL refuses to run as root; when certdesk runs as root the cluster
//! belongs to the `postgres` system user.

use anyhow::{Context, bail};
use secrecy::SecretString;
use sqlx::{Connection, PgConnection};
use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

const SUPERUSER: &str = "certdesk";
const DATABASE: &str = "certdesk";

pub struct EmbeddedPostgres {
    root: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    /// Only a cluster this process started is stopped by it.
    started_here: bool,
}

impl EmbeddedPostgres {
    /// The cluster under `data_dir`, whether or not it exists or runs yet.
    pub fn new(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let root = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        Ok(EmbeddedPostgres {
            bin_dir: find_bin_dir()?,
            // SAFETY: geteuid has no preconditions and cannot fail.
            as_postgres_user: unsafe { libc::geteuid() } == 0,
            root,
            port,
            started_here: false,
        })
    }

    /// Creates the cluster the first time, then starts it unless it is already running.
    pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        let mut cluster = EmbeddedPostgres::new(data_dir, port)?;
        let cluster_ref = &mut cluster;
        tokio::task::block_in_place(|| cluster_ref.start_blocking())?;
        cluster.create_database().await?;
        Ok(cluster)
    }

    fn pgdata(&self) -> PathBuf {
        self.root.join("pg")
    }

    fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    pub fn database_url(&self) -> SecretString {
        self.url_for(DATABASE)
    }

    fn url_for(&self, database: &str) -> SecretString {
        SecretString::from(format!(
            "postgres://{SUPERUSER}@localhost:{}/{database}?host={}",
            self.port,
            self.socket_dir().display()
        ))
    }

    fn start_blocking(&mut self) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.socket_dir())?;
        if self.as_postgres_user {
            self.hand_to_postgres_user()?;
        }
        if !self.pgdata().join("PG_VERSION").exists() {
            tracing::info!(dir = %self.pgdata().display(), "creating the private PostgreSQL cluster");
            let pgdata = self.pgdata();
            self.run(
                "initdb",
                &[
                    "-D",
                    path_str(&pgdata)?,
                    "-U",
                    SUPERUSER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
            )?;
        }
        if self.is_running()? {
            tracing::info!("the private PostgreSQL cluster is already running; using it");
            return Ok(());
        }
        let options = format!(
            "-c listen_addresses='' -k {} -p {} -c unix_socket_permissions=0700",
            self.socket_dir().display(),
            self.port
        );
        let log = self.root.join("postgres.log");
        let pgdata = self.pgdata();
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&pgdata)?,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        )
        .with_context(|| format!("starting PostgreSQL failed; see {}", log.display()))?;
        self.started_here = true;
        Ok(())
    }

    pub fn is_running(&self) -> anyhow::Result<bool> {
        let pgdata = self.pgdata();
        let out = self.command("pg_ctl", &["-D", path_str(&pgdata)?, "status"])?;
        Ok(out.status.success())
    }

    async fn create_database(&self) -> anyhow::Result<()> {
        let admin_url = self.url_for("postgres");
        let mut conn = PgConnection::connect(secrecy::ExposeSecret::expose_secret(&admin_url))
            .await
            .context("cannot connect to the private PostgreSQL cluster")?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            sqlx::query(&format!("create database {DATABASE}"))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }

    /// Stops the cluster if this process started it (or if `force`).
    pub fn stop(&self, force: bool) -> anyhow::Result<()> {
        let exists = self.pgdata().join("PG_VERSION").exists();
        if !exists || !(self.started_here || force) || !self.is_running()? {
            return Ok(());
        }
        let pgdata = self.pgdata();
        self.run(
            "pg_ctl",
            &["-D", path_str(&pgdata)?, "-m", "fast", "-w", "stop"],
        )?;
        tracing::info!("stopped the private PostgreSQL cluster");
        Ok(())
    }

    /// Gives the cluster's folders to `postgres` and makes sure it can reach them.
    fn hand_to_postgres_user(&self) -> anyhow::Result<()> {
        let mut dir = Some(self.root.as_path());
        while let Some(current) = dir {
            let mode =
                std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(current)?.permissions());
            if mode & 0o001 == 0 {
                let mut perms = std::fs::metadata(current)?.permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut perms, mode | 0o001);
                std::fs::set_permissions(current, perms).with_context(|| {
                    format!("cannot let postgres traverse {}", current.display())
                })?;
            }
            dir = current.parent();
        }
        std::fs::create_dir_all(self.pgdata())?;
        for dir in [self.pgdata(), self.socket_dir()] {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .context("running chown")?;
            if !status.success() {
                bail!(
                    "cannot give {} to the postgres user (is PostgreSQL installed?)",
                    dir.display()
                );
            }
        }
        let log = self.root.join("postgres.log");
        if !log.exists() {
            std::fs::write(&log, b"")?;
        }
        Command::new("chown")
            .arg("postgres:postgres")
            .arg(&log)
            .status()?;
        Ok(())
    }

    fn command(&self, program: &str, args: &[&str]) -> anyhow::Result<Output> {
        let binary = self.bin_dir.join(program);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        // Its own process group: Ctrl-C in the terminal reaches certdesk, which then stops
        // PostgreSQL in order, instead of hitting both at once.
        cmd.args(args).process_group(0).current_dir(&self.root);
        cmd.output()
            .with_context(|| format!("cannot run {}", binary.display()))
    }

    fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let out = self.command(program, args)?;
        if !out.status.success() {
            bail!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
        Ok(())
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}

/// `CERTDESK_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` with `initdb`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("CERTDESK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin).context(
        "PostgreSQL server programs were not found. Install them (apt-get install postgresql), \
         set CERTDESK_PG_BIN to the folder holding initdb and pg_ctl, or set DATABASE_URL",
    )
}
