//! `certdesk digicert-sim`: the simulator as a program of its own, and its arguments.

use super::dcv::Record;
use super::{FaultPlan, Issuance, SimSettings, Simulator};
use anyhow::{Context, bail};
use std::net::SocketAddr;
use tokio::net::TcpListener;

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Address to listen on, e.g. 127.0.0.1:8443 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// The API key clients must send in X-DC-DEVKEY.
    #[arg(long, env = "DIGICERT_SIM_API_KEY")]
    pub api_key: String,
    /// When orders are issued: `dcv` (as DigiCert: names on unvalidated domains wait until
    /// their DCV record is found), `immediate`, `manual`, or a number of seconds after placement.
    #[arg(long, default_value = "dcv", value_parser = parse_issuance)]
    pub issue: Issuance,
    /// A TXT record in the simulated DNS, NAME=VALUE (repeatable).
    #[arg(long = "txt", value_parser = parse_txt)]
    pub txt: Vec<Record>,
    /// A CNAME record in the simulated DNS, NAME=TARGET (repeatable).
    #[arg(long = "cname", value_parser = parse_cname)]
    pub cname: Vec<Record>,
    /// A file on the simulated web, URL=CONTENT (repeatable).
    #[arg(long = "http", value_parser = parse_http)]
    pub http: Vec<Record>,
    /// A domain the account has validated today, with its subdomains (repeatable).
    #[arg(long = "validated-domain")]
    pub validated_domains: Vec<String>,
    /// Probability (0-1) of each injected fault, e.g. --fault server_error=0.1 --fault timeout=0.05.
    /// Kinds: server_error, unavailable, too_many_requests, timeout, drop_after_create.
    #[arg(long = "fault", value_parser = parse_fault)]
    pub faults: Vec<(String, f64)>,
}

fn parse_issuance(text: &str) -> Result<Issuance, String> {
    Issuance::parse(text)
}

fn key_value<'a>(text: &'a str, shape: &str) -> Result<(&'a str, &'a str), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() && !value.trim().is_empty() => {
            Ok((key.trim(), value.trim()))
        }
        _ => Err(format!("\"{text}\" is not {shape}")),
    }
}

fn parse_txt(text: &str) -> Result<Record, String> {
    let (name, value) = key_value(text, "NAME=VALUE")?;
    Ok(Record::Txt {
        name: name.into(),
        value: value.into(),
    })
}

fn parse_cname(text: &str) -> Result<Record, String> {
    let (name, target) = key_value(text, "NAME=TARGET")?;
    Ok(Record::Cname {
        name: name.into(),
        target: target.into(),
    })
}

fn parse_http(text: &str) -> Result<Record, String> {
    // The URL holds no `=` DigiCert would read (`/.well-known/pki-validation/fileauth.txt`).
    let (url, content) = key_value(text, "URL=CONTENT")?;
    if !url.starts_with("http://") {
        return Err(format!("\"{url}\" is not an http:// URL"));
    }
    Ok(Record::Http {
        url: url.into(),
        content: content.into(),
    })
}

fn parse_fault(text: &str) -> Result<(String, f64), String> {
    let (kind, p) = text
        .split_once('=')
        .ok_or_else(|| format!("\"{text}\" is not KIND=PROBABILITY"))?;
    const KINDS: [&str; 5] = [
        "server_error",
        "unavailable",
        "too_many_requests",
        "timeout",
        "drop_after_create",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!(
            "unknown fault \"{kind}\"; use one of {}",
            KINDS.join(", ")
        ));
    }
    match p.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok((kind.to_owned(), p)),
        _ => Err(format!("\"{p}\" is not a probability between 0 and 1")),
    }
}

fn fault_plan(faults: &[(String, f64)]) -> FaultPlan {
    let mut plan = FaultPlan::default();
    for (kind, p) in faults {
        match kind.as_str() {
            "server_error" => plan.server_error = *p,
            "unavailable" => plan.unavailable = *p,
            "too_many_requests" => plan.too_many_requests = *p,
            "timeout" => plan.timeout = *p,
            _ => plan.drop_after_create = *p,
        }
    }
    plan
}

/// Runs the simulator on its own until `shutdown` completes.
pub async fn run(
    args: SimArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if args.api_key.trim().is_empty() {
        bail!("--api-key must not be empty");
    }
    let mut settings = SimSettings::new(args.api_key);
    settings.issuance = args.issue;
    settings.faults = fault_plan(&args.faults);
    let simulator = Simulator::new(settings)?;
    for record in args.txt.iter().chain(&args.cname).chain(&args.http) {
        simulator.publish(record);
    }
    for domain in &args.validated_domains {
        simulator.validate_domain(domain);
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // Standard output, so scripts and tests can read the address when the port was 0.
    println!(
        "DigiCert simulator listening on http://{}/services/v2",
        listener.local_addr()?
    );
    simulator.serve(listener, shutdown).await?;
    Ok(())
}
