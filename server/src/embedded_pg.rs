//! The private PostgreSQL cluster under the data directory, used when `DATABASE_URL` is unset.
//!
//! It listens only on a unix socket inside its folder, so nothing else on the network can reach
//! it, and every connection needs a password (scram-sha-256): the schema owner's for migrations,
//! the portal role's (which owns nothing) for everything else. Both passwords are generated
//! once and kept in `<data dir>/secrets/`, readable by this user only. PostgreSQL refuses to run
//! as root; when certdesk runs as root the cluster belongs to the `postgres` system user, and if
//! that user cannot reach the data directory the cluster lives under `/var/lib/certdesk`
//! instead (no folder's permissions are loosened).

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{Connection, PgConnection};
use std::{
    os::unix::{fs::MetadataExt, fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// The cluster's superuser, which owns the schema and runs the migrations.
const SUPERUSER: &str = "certdesk";
/// The role the portal connects as: it owns nothing (see `startup::grant_portal_role`).
pub const PORTAL_ROLE: &str = "certdesk_portal";
const DATABASE: &str = "certdesk";
/// Where clusters go when the `postgres` user cannot reach the data directory.
const FALLBACK_ROOT: &str = "/var/lib/certdesk/clusters";

pub struct EmbeddedPostgres {
    /// The data directory: secrets live here.
    root: PathBuf,
    /// Where `pg/` and `run/` live: the data directory, or a folder under [`FALLBACK_ROOT`].
    cluster_dir: PathBuf,
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
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_postgres_user = unsafe { libc::geteuid() } == 0;
        let cluster_dir = if as_postgres_user
            && !root.join("pg/PG_VERSION").exists()
            && !postgres_can_reach(&root)
        {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
            let dir = Path::new(FALLBACK_ROOT).join(&hex::encode(digest)[..16]);
            // A cluster left there by an earlier data directory of the same name, whose secrets
            // were deleted with it, can never be opened again.
            if dir.join("pg").exists() && !root.join("secrets").exists() {
                std::fs::remove_dir_all(&dir).with_context(|| {
                    format!("cannot remove the stale cluster {}", dir.display())
                })?;
            }
            dir
        } else {
            root.clone()
        };
        Ok(EmbeddedPostgres {
            bin_dir: find_bin_dir()?,
            as_postgres_user,
            root,
            cluster_dir,
            port,
            started_here: false,
        })
    }

    /// Creates the cluster the first time, then starts it unless it is already running.
    pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        let mut cluster = EmbeddedPostgres::new(data_dir, port)?;
        let cluster_ref = &mut cluster;
        let upgraded = tokio::task::block_in_place(|| cluster_ref.start_blocking())?;
        if upgraded {
            cluster.require_passwords().await?;
        }
        cluster.create_database().await?;
        Ok(cluster)
    }

    fn pgdata(&self) -> PathBuf {
        self.cluster_dir.join("pg")
    }

    fn socket_dir(&self) -> PathBuf {
        self.cluster_dir.join("run")
    }

    /// The schema owner's URL: migrations, `certdesk db start` for tools and tests.
    pub fn database_url(&self) -> SecretString {
        self.url_for(SUPERUSER, DATABASE)
    }

    /// The portal role's URL: everything the running portal does.
    pub fn portal_url(&self) -> anyhow::Result<SecretString> {
        Ok(self.url_for(PORTAL_ROLE, DATABASE))
    }

    fn url_for(&self, role: &str, database: &str) -> SecretString {
        let password = self.password(role).unwrap_or_default();
        SecretString::from(format!(
            "postgres://{role}:{}@localhost:{}/{database}?host={}",
            password.expose_secret(),
            self.port,
            self.socket_dir().display()
        ))
    }

    fn secrets_dir(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// The role's password, generated the first time (letters and digits, so it needs no
    /// escaping in a URL) and kept in a file only this user can read.
    fn password(&self, role: &str) -> anyhow::Result<SecretString> {
        let dir = self.secrets_dir();
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let file = dir.join(format!("{role}.password"));
        if let Ok(existing) = std::fs::read_to_string(&file) {
            return Ok(SecretString::from(existing.trim().to_owned()));
        }
        let generated = random_password();
        std::fs::write(&file, &generated)
            .with_context(|| format!("cannot write {}", file.display()))?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        Ok(SecretString::from(generated))
    }

    /// Creates (the first time) and starts the cluster. Answers true when an older cluster that
    /// trusted every local connection was switched to passwords and needs them set.
    fn start_blocking(&mut self) -> anyhow::Result<bool> {
        std::fs::create_dir_all(self.socket_dir())?;
        if self.as_postgres_user {
            self.hand_to_postgres_user()?;
        }
        if !self.pgdata().join("PG_VERSION").exists() {
            self.init_cluster()?;
        }
        if self.is_running()? {
            tracing::info!("the private PostgreSQL cluster is already running; using it");
        } else {
            self.pg_start()?;
        }
        // After the start: the running server keeps the old rules until it reloads, which is
        // what lets `require_passwords` set the password it will ask for.
        self.stop_trusting_local_connections()
    }

    fn pg_start(&mut self) -> anyhow::Result<()> {
        let options = format!(
            "-c listen_addresses='' -k {} -p {} -c unix_socket_permissions=0700",
            self.socket_dir().display(),
            self.port
        );
        let log = self.cluster_dir.join("postgres.log");
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

    fn init_cluster(&self) -> anyhow::Result<()> {
        tracing::info!(dir = %self.pgdata().display(), "creating the private PostgreSQL cluster");
        let pgdata = self.pgdata();
        // initdb reads the superuser's password from a file the postgres user can read; it is
        // removed as soon as initdb is done.
        let pwfile = self.cluster_dir.join(".initdb-password");
        std::fs::write(&pwfile, self.password(SUPERUSER)?.expose_secret())?;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600))?;
        if self.as_postgres_user {
            chown_to_postgres(&pwfile, false)?;
        }
        let result = self.run(
            "initdb",
            &[
                "-D",
                path_str(&pgdata)?,
                "-U",
                SUPERUSER,
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={}", path_str(&pwfile)?),
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        result
    }

    /// Clusters made by earlier certdesk versions trusted every local connection. Their
    /// `pg_hba.conf` asks for passwords from now on; answers whether it changed (the passwords
    /// are then set through one last trusted connection, see [`Self::require_passwords`]).
    fn stop_trusting_local_connections(&self) -> anyhow::Result<bool> {
        let hba = self.pgdata().join("pg_hba.conf");
        let text = std::fs::read_to_string(&hba)
            .with_context(|| format!("cannot read {}", hba.display()))?;
        let trusting = |line: &str| {
            !line.trim_start().starts_with('#') && line.split_whitespace().last() == Some("trust")
        };
        if !text.lines().any(trusting) {
            return Ok(false);
        }
        let strict: String = text
            .lines()
            .map(|line| {
                if trusting(line) {
                    format!(
                        "{} scram-sha-256\n",
                        line.trim_end().trim_end_matches("trust").trim_end()
                    )
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        std::fs::write(&hba, strict)?;
        tracing::info!("the private PostgreSQL cluster now requires passwords (was: trust)");
        Ok(true)
    }

    /// Sets the superuser's password through the still-trusted connection of a running cluster
    /// that was just switched to passwords, then reloads the configuration.
    async fn require_passwords(&self) -> anyhow::Result<()> {
        let trusted = format!(
            "postgres://{SUPERUSER}@localhost:{}/postgres?host={}",
            self.port,
            self.socket_dir().display()
        );
        let mut conn = PgConnection::connect(&trusted)
            .await
            .context("cannot connect to the private PostgreSQL cluster to set its password")?;
        let password = self.password(SUPERUSER)?;
        sqlx::query(&format!(
            "alter role {SUPERUSER} password '{}'",
            password.expose_secret()
        ))
        .execute(&mut conn)
        .await?;
        sqlx::query_scalar!("select pg_reload_conf()")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }

    pub fn is_running(&self) -> anyhow::Result<bool> {
        let pgdata = self.pgdata();
        let out = self.command("pg_ctl", &["-D", path_str(&pgdata)?, "status"])?;
        Ok(out.status.success())
    }

    /// The portal's database and its login role (with the password from the secrets folder).
    async fn create_database(&self) -> anyhow::Result<()> {
        let admin_url = self.url_for(SUPERUSER, "postgres");
        let mut conn = PgConnection::connect(admin_url.expose_secret())
            .await
            .context("cannot connect to the private PostgreSQL cluster")?;
        let portal_password = self.password(PORTAL_ROLE)?;
        let role_exists = sqlx::query_scalar!(
            r#"select exists (select 1 from pg_roles where rolname = $1) as "exists!""#,
            PORTAL_ROLE
        )
        .fetch_one(&mut conn)
        .await?;
        let verb = if role_exists { "alter" } else { "create" };
        sqlx::query(&format!(
            "{verb} role {PORTAL_ROLE} login nosuperuser nocreatedb nocreaterole password '{}'",
            portal_password.expose_secret()
        ))
        .execute(&mut conn)
        .await?;
        let exists = sqlx::query_scalar!(
            r#"select exists (select 1 from pg_database where datname = $1) as "exists!""#,
            DATABASE
        )
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

    /// Gives the cluster's folders to `postgres`. Nothing above them is changed: [`Self::new`]
    /// chose a place the postgres user can already reach.
    fn hand_to_postgres_user(&self) -> anyhow::Result<()> {
        if self.cluster_dir != self.root {
            std::fs::create_dir_all(&self.cluster_dir)?;
            tracing::info!(
                dir = %self.cluster_dir.display(),
                "the postgres user cannot reach the data directory; the private cluster lives here"
            );
        }
        std::fs::create_dir_all(self.pgdata())?;
        for dir in [self.pgdata(), self.socket_dir()] {
            chown_to_postgres(&dir, true)?;
        }
        let log = self.cluster_dir.join("postgres.log");
        if !log.exists() {
            std::fs::write(&log, b"")?;
        }
        chown_to_postgres(&log, false)?;
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
        cmd.args(args)
            .process_group(0)
            .current_dir(&self.cluster_dir);
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

fn chown_to_postgres(path: &Path, recursive: bool) -> anyhow::Result<()> {
    let mut chown = Command::new("chown");
    if recursive {
        chown.arg("-R");
    }
    let status = chown
        .arg("postgres:postgres")
        .arg(path)
        .status()
        .context("running chown")?;
    if !status.success() {
        bail!(
            "cannot give {} to the postgres user (is PostgreSQL installed?)",
            path.display()
        );
    }
    Ok(())
}

/// Whether the `postgres` user can walk down to `dir`: every folder above it must let others
/// (or postgres itself) pass.
fn postgres_can_reach(dir: &Path) -> bool {
    let postgres_uid = postgres_uid();
    dir.ancestors().all(|folder| {
        std::fs::metadata(folder).is_ok_and(|meta| {
            meta.mode() & 0o001 != 0 || Some(meta.uid()) == postgres_uid && meta.mode() & 0o100 != 0
        })
    })
}

fn postgres_uid() -> Option<u32> {
    let out = Command::new("id").args(["-u", "postgres"]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// 32 letters and digits.
fn random_password() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
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
