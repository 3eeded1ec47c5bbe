//! Drives the portal with `wrk`, a real HTTP load generator, and reads its numbers back.

use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// One `wrk` run's result.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadResult {
    pub requests: u64,
    pub seconds: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers outside 2xx/3xx, and connection errors.
    pub failures: u64,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// What one run sends.
pub struct Load<'a> {
    pub url: String,
    pub cookie: &'a str,
    /// `None` for GET; form-encoded body for POST.
    pub form_body: Option<String>,
    /// For POSTs that need a fresh request id each time: a file of ids, one per line, split
    /// between the threads; a thread stops when its share runs out.
    pub ids_file: Option<&'a Path>,
    pub connections: u32,
    pub threads: u32,
    pub duration: Duration,
}

/// The Lua that shapes requests and prints the summary as one machine-readable line.
fn script(load: &Load<'_>) -> String {
    let mut lua = String::new();
    if let Some(body) = &load.form_body {
        lua.push_str("wrk.method = \"POST\"\n");
        lua.push_str("wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n");
        lua.push_str("wrk.headers[\"Accept\"] = \"application/json\"\n");
        // What the browser app sends with its own calls; the portal refuses unsafe requests
        // without a same-origin proof.
        lua.push_str("wrk.headers[\"Sec-Fetch-Site\"] = \"same-origin\"\n");
        lua.push_str(&format!("wrk.body = {}\n", lua_string(body)));
    }
    if let Some(ids) = load.ids_file {
        lua.push_str(&format!(
            r#"
local counter = 0
function setup(thread)
  thread:set("slot", counter)
  counter = counter + 1
end
local ids, next_index
function init(args)
  ids = {{}}
  for line in io.lines({file}) do ids[#ids + 1] = line end
  next_index = slot + 1
end
function request()
  local id = ids[next_index]
  if id == nil then
    wrk.thread:stop()
    id = "0"
  end
  next_index = next_index + {threads}
  return wrk.format(nil, nil, nil, "id=" .. id .. "&" .. wrk.body)
end
"#,
            file = lua_string(&ids.display().to_string()),
            threads = load.threads,
        ));
    }
    lua.push_str(
        r#"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"#,
    );
    lua
}

fn lua_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs `wrk` once; `work_dir` holds its script.
pub fn run(load: &Load<'_>, work_dir: &Path, name: &str) -> anyhow::Result<LoadResult> {
    let script_path = work_dir.join(format!("{name}.lua"));
    std::fs::write(&script_path, script(load))
        .with_context(|| format!("cannot write {}", script_path.display()))?;
    let output = Command::new("wrk")
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("-H")
        .arg(format!("Cookie: {}", load.cookie))
        .arg("-s")
        .arg(&script_path)
        .arg(&load.url)
        .output()
        .context("cannot run wrk (install it: apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&stdout).with_context(|| format!("wrk printed no result line:\n{stdout}"))
}

/// Reads the `WRK_RESULT requests duration_us p50_us p99_us failures` line.
pub fn parse(stdout: &str) -> Option<LoadResult> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("WRK_RESULT "))?;
    let numbers: Vec<u64> = line
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    let [requests, duration_us, p50, p99, failures] = numbers[..] else {
        return None;
    };
    Some(LoadResult {
        requests,
        seconds: duration_us as f64 / 1e6,
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_line_among_wrks_own_output() {
        let out =
            "Running 10s test @ http://x\n  2 threads\nWRK_RESULT 12000 10002000 1500 9800 3\n";
        let r = parse(out).unwrap();
        assert_eq!(r.requests, 12000);
        assert_eq!(r.p50, Duration::from_micros(1500));
        assert_eq!(r.p99, Duration::from_micros(9800));
        assert_eq!(r.failures, 3);
        assert!((r.per_second() - 1199.76).abs() < 0.1);
        assert_eq!(parse("no numbers here"), None);
        assert_eq!(parse("WRK_RESULT 1 2 x 4 5"), None);
    }

    #[test]
    fn post_bodies_are_quoted_for_lua() {
        let load = Load {
            url: "http://127.0.0.1:1/api/x".into(),
            cookie: "c=1",
            form_body: Some("a=\"q\"\\n&b=1".into()),
            ids_file: None,
            connections: 1,
            threads: 1,
            duration: Duration::from_secs(1),
        };
        let lua = script(&load);
        assert!(lua.contains(r#"wrk.body = "a=\"q\"\\n&b=1""#), "{lua}");
        assert!(lua.contains("WRK_RESULT"));
    }
}
