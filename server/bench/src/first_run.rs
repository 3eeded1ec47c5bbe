//! A newcomer's first run, timed: a fresh clone of this checkout's HEAD, build tools installed
//! afresh into a scratch home, then `./scripts/run.sh` until the portal answers `/healthz`.
//!
//! What stays warm: Debian packages and the Rust toolchain (rustup's own directory). Cargo's
//! home is a scratch one too: cargo finds subcommands such as `cargo leptos` in its home's
//! `bin` whatever the path says, and its crate downloads start cold, as a newcomer's do.

use anyhow::{Context, bail};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The README's promise for the first `./scripts/run.sh`.
pub const TARGET: Duration = Duration::from_secs(20 * 60);
/// Longer than this and the run is stopped and reported as failed.
const GIVE_UP: Duration = Duration::from_secs(60 * 60);

/// The figures of one first run.
pub struct FirstRun {
    pub elapsed: Duration,
    /// Where its output went.
    pub log: PathBuf,
}

/// The programs a newcomer has before the first run: rustup's proxies only (`cargo`, `rustc`,
/// `rustup`), linked into `bin` so no tool installed earlier on this machine is on the path.
fn toolchain_only_path(home_cargo: &Path, bin: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(bin)?;
    for proxy in ["cargo", "rustc", "rustup", "rustdoc"] {
        let link = bin.join(proxy);
        if !link.exists() {
            std::os::unix::fs::symlink(home_cargo.join("bin").join(proxy), &link)
                .with_context(|| format!("cannot link {}", link.display()))?;
        }
    }
    let system: Vec<String> = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|dir| !dir.is_empty() && !Path::new(dir).join("cargo-leptos").exists())
        .filter(|dir| !dir.contains(".cargo"))
        .map(str::to_owned)
        .collect();
    Ok(format!("{}:{}", bin.display(), system.join(":")))
}

/// Clones `repo` into `work_dir/first-run` and times its first `./scripts/run.sh` on `port`.
pub async fn measure(repo: &Path, work_dir: &Path, port: u16) -> anyhow::Result<FirstRun> {
    // Absolute: run.sh runs in the clone, and HOME must not move with it.
    let dir = std::path::absolute(work_dir.join("first-run"))?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let checkout = dir.join("certdesk");
    let home = dir.join("home");
    std::fs::create_dir_all(&home)?;
    let real_home = PathBuf::from(std::env::var("HOME").context("HOME is not set")?);
    let real_cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| real_home.join(".cargo"));
    let rustup_home = std::env::var("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| real_home.join(".rustup"));
    let status = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(repo)
        .arg(&checkout)
        .status()
        .context("cannot run git")?;
    if !status.success() {
        bail!("git clone of {} failed", repo.display());
    }
    let path = toolchain_only_path(&real_cargo_home, &dir.join("toolchain"))?;
    let log = dir.join("run.log");
    let output = std::fs::File::create(&log)?;
    let started = Instant::now();
    let mut run = Command::new("bash")
        .arg("scripts/run.sh")
        .current_dir(&checkout)
        // Tools go to the scratch home's cargo bin, which run.sh puts first on its path.
        .env("HOME", &home)
        .env("CARGO_HOME", home.join(".cargo"))
        .env_remove("CARGO_INSTALL_ROOT")
        .env("RUSTUP_HOME", &rustup_home)
        .env("PATH", path)
        .env("CERTDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .env_remove("CERTDESK_DATA_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("SQLX_OFFLINE")
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .process_group(0)
        .spawn()
        .context("cannot start scripts/run.sh")?;
    let answered = wait_for_health(&mut run, port, started).await;
    stop(&mut run).await;
    let elapsed = answered.with_context(|| format!("see {}", log.display()))?;
    Ok(FirstRun { elapsed, log })
}

/// Polls `/healthz` until it answers 200; the time from `started`.
async fn wait_for_health(run: &mut Child, port: u16, started: Instant) -> anyhow::Result<Duration> {
    let url = format!("http://127.0.0.1:{port}/healthz");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    loop {
        if let Some(status) = run.try_wait()? {
            bail!("scripts/run.sh ended ({status}) before the portal answered");
        }
        if client
            .get(&url)
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > GIVE_UP {
            bail!(
                "the portal did not answer within {} minutes",
                GIVE_UP.as_secs() / 60
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Stops run.sh and everything it started (the portal stops its PostgreSQL cluster on SIGTERM).
async fn stop(run: &mut Child) {
    let group = format!("-{}", run.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    for _ in 0..30 {
        if matches!(run.try_wait(), Ok(Some(_))) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = run.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_runs_path_holds_the_toolchain_and_no_installed_tool() {
        let scratch =
            std::env::temp_dir().join(format!("certdesk-first-run-{}", std::process::id()));
        let cargo_home = scratch.join("cargo");
        std::fs::create_dir_all(cargo_home.join("bin")).unwrap();
        let path = toolchain_only_path(&cargo_home, &scratch.join("toolchain")).unwrap();
        let dirs: Vec<&str> = path.split(':').collect();
        assert_eq!(dirs[0], scratch.join("toolchain").to_str().unwrap());
        assert!(dirs.iter().all(|d| !d.contains(".cargo")), "{path}");
        assert!(scratch.join("toolchain/cargo").is_symlink());
        std::fs::remove_dir_all(&scratch).unwrap();
    }
}
