//! The `certdesk` binary itself: user creation and start-up failures.

use crate::helpers::fresh_database;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn certdesk(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn add_user(url: &str, email: &str, roles: &[&str], password: &str) -> Output {
    let mut args = vec!["user", "add", "--email", email, "--name", "Ada Lovelace"];
    for role in roles {
        args.extend(["--role", role]);
    }
    args.push("--password-stdin");
    certdesk(&args, &[("DATABASE_URL", url)], &format!("{password}\n"))
}

#[tokio::test]
async fn user_add_creates_a_user_with_roles() {
    let (pool, url) = fresh_database().await;
    let out = add_user(
        &url,
        "Ada@Example.com",
        &["admin", "approver"],
        "a long enough password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (email, roles): (String, Vec<String>) = sqlx::query_as("select email, roles from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(email, "ada@example.com");
    assert_eq!(roles, ["admin", "approver"]);
}

#[tokio::test]
async fn user_add_refuses_duplicates_weak_passwords_and_unknown_roles() {
    let (pool, url) = fresh_database().await;
    assert!(
        add_user(
            &url,
            "ada@example.com",
            &["requester"],
            "a long enough password"
        )
        .status
        .success()
    );
    let cases = [
        (
            add_user(
                &url,
                "ADA@example.com",
                &["requester"],
                "a long enough password",
            ),
            "already exists",
        ),
        (
            add_user(&url, "bob@example.com", &["requester"], "short"),
            "at least 12 characters",
        ),
        (
            add_user(
                &url,
                "carl@example.com",
                &["superuser"],
                "a long enough password",
            ),
            "unknown role",
        ),
    ];
    for (out, expected) in cases {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            !stderr.contains("a long enough password"),
            "the password leaked: {stderr}"
        );
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[test]
fn missing_arguments_are_usage_errors() {
    let out = certdesk(&["user", "add", "--email", "a@example.com"], &[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
}

#[test]
fn an_unreachable_database_is_a_clear_error_not_a_panic() {
    let out = certdesk(
        &["serve"],
        &[
            (
                "DATABASE_URL",
                "postgres://certdesk:s3cret-pw@127.0.0.1:1/certdesk",
            ),
            ("CERTDESK_LISTEN", "127.0.0.1:0"),
        ],
        "",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains("s3cret-pw"),
        "the password leaked: {stderr}"
    );
}

#[test]
fn bad_configuration_names_the_variable() {
    let out = certdesk(&["serve"], &[("CERTDESK_SESSION_IDLE_MINUTES", "soon")], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("CERTDESK_SESSION_IDLE_MINUTES"), "{stderr}");
}

#[tokio::test]
async fn digicert_sim_runs_alone_and_answers_with_its_key() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args([
            "digicert-sim",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "standalone-key",
            "--fault",
            "timeout=0",
        ])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/services/v2"),
        "{line}"
    );
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/organization"))
        .header("X-DC-DEVKEY", "standalone-key")
        .send()
        .await
        .unwrap();
    let refused = http
        .get(format!("{base}/organization"))
        .header("X-DC-DEVKEY", "other")
        .send()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(refused.status(), 401);
}

#[test]
fn digicert_sim_refuses_bad_arguments() {
    let out = certdesk(
        &["digicert-sim", "--api-key", "k", "--fault", "meteor=0.5"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault"));
    for (flag, value, says) in [
        ("--txt", "no-equals-sign", "NAME=VALUE"),
        ("--http", "ftp://x.example.net/f=1", "http:// URL"),
        ("--issue", "someday", "dcv, immediate, manual"),
    ] {
        let out = certdesk(&["digicert-sim", "--api-key", "k", flag, value], &[], "");
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{flag} {value}"
        );
    }
}

/// Records and validated domains given on the command line are in the simulated account.
#[tokio::test]
async fn digicert_sim_starts_with_the_domains_and_records_it_is_given() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args([
            "digicert-sim",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k",
            "--validated-domain",
            "corp.example.net",
            "--txt",
            "_dnsauth.shop.example.net=abc",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    let domains: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/domain"))
        .header("X-DC-DEVKEY", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let names: Vec<&str> = domains["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"corp.example.net"), "{names:?}");
    assert!(names.contains(&"example.com"), "{names:?}");
}

fn csr_fixture(name: &str) -> String {
    format!(
        "{}/../app/tests/fixtures/csr/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn verdict(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn csr_inspect_accepts_a_good_csr_with_exit_0() {
    let out = certdesk(&["csr", "inspect", &csr_fixture("ec-p256.csr")], &[], "");
    assert_eq!(out.status.code(), Some(0));
    let json = verdict(&out);
    assert_eq!(json["ok"], true);
    assert_eq!(json["errors"], serde_json::json!([]));
    assert_eq!(json["key"]["curve"], "P-256");
    assert_eq!(json["common_name"], "www.example.com");
    assert_eq!(
        json["sans"],
        serde_json::json!(["www.example.com", "example.com"])
    );
    assert_eq!(json["signature_verified"], true);
}

#[test]
fn csr_inspect_reads_standard_input_and_der() {
    let pem = std::fs::read_to_string(csr_fixture("rsa3072.csr")).unwrap();
    let out = certdesk(&["csr", "inspect", "-"], &[], &pem);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(verdict(&out)["key"]["bits"], 3072);
    let out = certdesk(&["csr", "inspect", &csr_fixture("rsa2048.der")], &[], "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn csr_inspect_rejects_with_exit_1_and_a_reason() {
    for (file, expected) in [
        ("rsa1024.csr", "1024 bits"),
        ("md5.csr", "broken hash"),
        ("dsa.csr", "DSA"),
        (
            "certificate.pem",
            "certificate, not a certificate signing request",
        ),
    ] {
        let out = certdesk(&["csr", "inspect", &csr_fixture(file)], &[], "");
        assert_eq!(out.status.code(), Some(1), "{file}");
        let json = verdict(&out);
        assert_eq!(json["ok"], false);
        assert!(
            json["errors"][0].as_str().unwrap().contains(expected),
            "{file}: {json}"
        );
    }
}

#[test]
fn csr_inspect_never_prints_a_private_key_back() {
    let key = std::fs::read_to_string(csr_fixture("private-key.pem")).unwrap();
    let out = certdesk(&["csr", "inspect", "-"], &[], &key);
    assert_eq!(out.status.code(), Some(1));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let key_line = key.lines().nth(1).unwrap();
    assert!(!printed.contains(key_line), "the key leaked: {printed}");
    assert_eq!(verdict(&out)["private_key_refused"], true);
}

#[test]
fn csr_inspect_on_a_missing_file_exits_2() {
    let out = certdesk(&["csr", "inspect", "/nonexistent/request.csr"], &[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/request.csr"));
}

#[tokio::test]
async fn serve_offers_metrics_on_a_separate_address_without_a_token() {
    use std::io::BufRead;
    let (_, url) = fresh_database().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("CERTDESK_LISTEN", "127.0.0.1:0")
        .env("CERTDESK_METRICS_LISTEN", "127.0.0.1:0")
        .env("DIGICERT_API_KEY", "")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log names the metrics address once it listens.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut address = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("metrics on http://").nth(1) {
            address = rest.split('/').next().map(str::to_owned);
            break;
        }
        assert!(!line.contains("ERROR"), "{line}");
    }
    let address = address.expect("serve logged its metrics address");
    let res = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    let other = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("# TYPE certdesk_approval_queue_depth gauge"),
        "{text}"
    );
    assert_eq!(
        other.status(),
        404,
        "the metrics address serves nothing else"
    );
}
