//! The processes under test: the simulator and the release server, stopped when dropped.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that gets SIGTERM (then is waited for) when dropped.
pub struct Running {
    child: Child,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a pid this process spawned and has not yet reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `certdesk digicert-sim` on a free loopback port with DigiCert's documented rate limits;
/// answers the process and its base URL.
pub fn start_simulator(certdesk: &Path, api_key: &str) -> anyhow::Result<(Running, String)> {
    let mut child = Command::new(certdesk)
        .args([
            "digicert-sim",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            api_key,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", certdesk.display()))?;
    let stdout = child.stdout.take().context("simulator output")?;
    let running = Running { child };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .with_context(|| format!("the simulator did not print its address: {line:?}"))?
        .to_owned();
    Ok((running, url))
}

pub struct ServerSettings<'a> {
    pub certdesk: &'a Path,
    pub database_url: &'a str,
    pub digicert_url: &'a str,
    pub digicert_key: &'a str,
    pub workers: u32,
    pub site_root: &'a Path,
    pub log: &'a Path,
}

/// `certdesk serve` on a free loopback port, once `/healthz` answers; answers its base URL.
pub async fn start_server(settings: &ServerSettings<'_>) -> anyhow::Result<(Running, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(settings.log)
        .with_context(|| format!("cannot write {}", settings.log.display()))?;
    let child = Command::new(settings.certdesk)
        .arg("serve")
        .env("DATABASE_URL", settings.database_url)
        .env("CERTDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTDESK_WORKERS", settings.workers.to_string())
        .env("DIGICERT_API_KEY", settings.digicert_key)
        .env("DIGICERT_BASE_URL", settings.digicert_url)
        .env("LEPTOS_SITE_ROOT", settings.site_root)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", settings.certdesk.display()))?;
    let mut running = Running { child };
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await
            && res.status().is_success()
        {
            return Ok((running, base));
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            bail!(
                "the server exited ({status}); see {}",
                settings.log.display()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "the server did not answer within 2 minutes; see {}",
                settings.log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `/proc/<pid>/status` value in bytes (`VmRSS`, `VmHWM`).
pub fn memory(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_processs_memory() {
        let rss = super::memory(std::process::id(), "VmRSS").unwrap();
        let peak = super::memory(std::process::id(), "VmHWM").unwrap();
        assert!(rss > 0 && peak >= rss);
        assert_eq!(super::memory(std::process::id(), "NoSuchField"), None);
    }
}
