//! The benchmark harness (`scripts/bench.sh`): seeds order histories of several sizes, runs the
//! release server against each, drives it with `wrk`, times the bare SQL of the same pages, lets
//! the workers drain a batch of approvals through the simulator at DigiCert's rate limits, and
//! prints one table with the targets beside the figures.

pub mod bundle;
mod first_run;
mod load;
pub mod processes;
pub mod seed;
mod sql;
pub mod stats;

use anyhow::{Context, bail};
use app::features::auth::{CurrentUser, Role};
use app::features::history::model::HistoryFilter;
use load::{Load, LoadResult};
use processes::{ServerSettings, memory, start_server, start_simulator};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use stats::{Latencies, ms, table};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Load-tests a release build of certdesk and prints the results table (`scripts/bench.sh`).
#[derive(clap::Parser, Debug)]
#[command(name = "certdesk-bench", version)]
pub struct BenchCli {
    /// Requests to seed per round, comma separated; k and M suffixes allowed.
    #[arg(long, default_value = "10k,100k,1M", value_parser = parse_sizes)]
    pub sizes: Sizes,
    /// Seconds each load run lasts.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub seconds: u64,
    /// Concurrent connections for submitting and approving (and the CSV export's neighbours).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub clients: u32,
    /// Concurrent connections reading the approvals page and the history: people at their desks.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_clients: u32,
    /// Approvals for the workers to drain at DigiCert's rate limits (0 skips the drain).
    #[arg(long, default_value_t = 1000)]
    pub drain: u32,
    /// The release server binary to measure.
    #[arg(long, default_value = "target/release/certdesk")]
    pub certdesk: PathBuf,
    /// The site the release server serves (its pkg/ holds the wasm that is measured).
    #[arg(long, default_value = "target/site")]
    pub site_root: PathBuf,
    /// Where scripts, ID lists and server logs go.
    #[arg(long, default_value = "target/bench")]
    pub work_dir: PathBuf,
    /// PostgreSQL URL of a user who may create databases.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Also time a newcomer's first run: a fresh clone of HEAD, build tools installed afresh,
    /// `./scripts/run.sh` until the portal answers (about 20 minutes on 2 cores).
    #[arg(long)]
    pub first_run: bool,
}

#[derive(Debug, Clone)]
pub struct Sizes(pub Vec<i64>);

fn parse_sizes(text: &str) -> Result<Sizes, String> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (digits, factor) = match part.char_indices().last() {
                Some((i, 'k' | 'K')) => (&part[..i], 1_000),
                Some((i, 'm' | 'M')) => (&part[..i], 1_000_000),
                _ => (part, 1),
            };
            match digits.parse::<i64>() {
                Ok(n) if n > 0 && n.checked_mul(factor).is_some_and(|v| v <= 50_000_000) => {
                    Ok(n * factor)
                }
                _ => Err(format!(
                    "\"{part}\" is not a size such as 10000, 100k or 1M (at most 50M)"
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Sizes)
}

impl From<BenchCli> for BenchArgs {
    fn from(cli: BenchCli) -> Self {
        BenchArgs {
            sizes: cli.sizes.0,
            duration: Duration::from_secs(cli.seconds),
            clients: cli.clients,
            page_clients: cli.page_clients,
            drain: cli.drain,
            certdesk: cli.certdesk,
            site_root: cli.site_root,
            work_dir: cli.work_dir,
            database_url: cli.database_url,
            first_run: cli.first_run,
        }
    }
}

pub struct BenchArgs {
    /// Requests seeded per round, e.g. 10k, 100k, 1M.
    pub sizes: Vec<i64>,
    /// Length of each load run.
    pub duration: Duration,
    /// Concurrent HTTP connections for (c) and (d).
    pub clients: u32,
    /// Concurrent HTTP connections (and SQL clients) for (a) and (b).
    pub page_clients: u32,
    /// Approvals the workers drain at DigiCert's limits (0 skips).
    pub drain: u32,
    /// The release `certdesk` binary and the site it serves.
    pub certdesk: PathBuf,
    pub site_root: PathBuf,
    /// Scripts, ID lists and server logs.
    pub work_dir: PathBuf,
    /// A PostgreSQL URL whose user may create databases.
    pub database_url: String,
    /// Time a first run in a fresh clone.
    pub first_run: bool,
}

/// The history search the benchmark types: the first label of one seeded request's host name,
/// as an admin looking for a certificate would (it matches that request and a few neighbours).
fn search_term(size: i64) -> String {
    seed::host_label(size / 2 + 1)
}
/// Rows the CSV export should cover.
const CSV_ROWS: i64 = 100_000;
const SIM_KEY: &str = "certdesk-bench-key";
const CSR: &str = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");

/// Figures for one size.
struct Round {
    size: i64,
    approvals: LoadResult,
    history: LoadResult,
    submit: LoadResult,
    approve: LoadResult,
    approvals_sql: Latencies,
    history_sql: Latencies,
    csv: CsvResult,
    peak_memory: u64,
}

struct CsvResult {
    rows: u64,
    runs: Vec<Duration>,
    /// Server RSS before the export and the highest seen while it ran.
    rss_before: u64,
    rss_during: u64,
}

struct Drain {
    approvals: u32,
    elapsed: Duration,
    rate_limited: u64,
    requests: u64,
    duplicates: usize,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<String> {
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("cannot create {}", args.work_dir.display()))?;
    // First, while nothing else runs: it needs the whole machine, as a newcomer's would have.
    let first_run = if args.first_run {
        eprintln!("== a first run in a fresh clone");
        let repo = std::env::current_dir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Some(first_run::measure(&repo, &args.work_dir, port).await?)
    } else {
        None
    };
    let (_sim, sim_url) = start_simulator(&args.certdesk, SIM_KEY)?;
    let mut rounds = Vec::new();
    for &size in &args.sizes {
        eprintln!("== {size} requests");
        rounds.push(round(&args, size, &sim_url).await?);
    }
    let drain = if args.drain > 0 {
        eprintln!("== draining {} approvals at DigiCert's limits", args.drain);
        Some(drain(&args).await?)
    } else {
        None
    };
    eprintln!("== what a first visit loads");
    let browser = Browser {
        bundle: bundle::bundle(&args.site_root.join("pkg"))?,
        first_visits: first_visits(&args, &sim_url).await?,
    };
    Ok(report(
        &args,
        &rounds,
        drain.as_ref(),
        &browser,
        first_run.as_ref(),
    ))
}

/// The first run's row, against the README's 20 minutes.
fn first_run_row(first_run: Option<&first_run::FirstRun>) -> Vec<String> {
    let (figure, target, ok) = match first_run {
        Some(run) => (
            format!("{:.1} min", run.elapsed.as_secs_f64() / 60.0),
            format!(
                "<= {} min; output in {}",
                first_run::TARGET.as_secs() / 60,
                run.log.display()
            ),
            verdict(run.elapsed <= first_run::TARGET),
        ),
        None => (
            String::new(),
            "not measured this time (scripts/bench.sh --first-run)".into(),
            String::new(),
        ),
    };
    vec![
        "-".into(),
        "first run: fresh clone and tools, run.sh".into(),
        String::new(),
        String::new(),
        figure,
        String::new(),
        target,
        ok,
    ]
}

/// The split release wasm and what the first visit to a page fetches.
struct Browser {
    bundle: bundle::Bundle,
    first_visits: Vec<bundle::PageLoad>,
}

/// The pages a first visit is weighed on: the sign-in page, a requester's dashboard and an
/// order form (the heaviest page a requester opens).
const FIRST_VISITS: [(&str, Option<&str>); 3] = [
    ("/sign-in", None),
    ("/", Some(seed::REQUESTER)),
    ("/requests/new/basic-ov", Some(seed::REQUESTER)),
];

async fn first_visits(args: &BenchArgs, sim_url: &str) -> anyhow::Result<Vec<bundle::PageLoad>> {
    let (pool, url) = fresh_database(&args.database_url, "certdesk_bundle").await?;
    seed::seed(&pool, 100, CSR).await?;
    let (_server, base) = serve(args, &url, sim_url, 0, "server-bundle.log").await?;
    bundle::first_visits(&base, seed::PASSWORD, &FIRST_VISITS, &args.site_root)
}

/// A new, migrated, empty database called `name`; answers its pool and URL.
async fn fresh_database(base_url: &str, name: &str) -> anyhow::Result<(PgPool, String)> {
    let mut admin = PgConnection::connect(base_url)
        .await
        .context("cannot reach DATABASE_URL")?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let options: sqlx::postgres::PgConnectOptions = base_url.parse()?;
    // Seeding statements are slow by design; they are not worth a warning each.
    let options = options
        .database(name)
        .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
    let pool = certdesk::startup::portal_pool_options()
        .max_connections(40)
        .connect_with(options)
        .await?;
    certdesk::startup::prepare_database(&pool).await?;
    Ok((pool, certdesk::startup::with_database_name(base_url, name)))
}

/// The release server on `database_url` with `workers` forwarding workers, logging to `log` in the
/// work directory; answers it and its base URL.
async fn serve(
    args: &BenchArgs,
    database_url: &str,
    sim_url: &str,
    workers: u32,
    log: &str,
) -> anyhow::Result<(processes::Running, String)> {
    start_server(&ServerSettings {
        certdesk: &args.certdesk,
        database_url,
        digicert_url: sim_url,
        digicert_key: SIM_KEY,
        workers,
        site_root: &args.site_root,
        log: &args.work_dir.join(log),
    })
    .await
}

async fn sign_in(base: &str, email: &str) -> anyhow::Result<String> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/auth/sign_in"))
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", email), ("password", seed::PASSWORD)])
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("signing in as {email} answered {}", res.status());
    }
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("certdesk_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("signing in set no session cookie")
}

fn submit_body() -> String {
    let fields = [
        ("kind", "basic-ov"),
        ("common_name", "www.example.com"),
        ("dns_names", "example.com"),
        ("csr", CSR),
        ("signature_hash", "sha256"),
        ("server_platform", "-1"),
        ("organization", "1001"),
        ("container", "5"),
        ("order_validity", "years"),
        ("order_years", "1"),
        ("dcv_method", "dns-txt-token"),
        ("comments", "Benchmark request."),
        ("cf_801", "CC-BENCH"),
    ];
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        body.append_pair(&format!("form[{name}]"), value);
    }
    body.finish()
}

/// One wrk run against the portal: a page read by a few people at once (`None`), or a form
/// posted by the full crowd (its body, and a file of request ids when each post needs its own).
fn wrk(
    args: &BenchArgs,
    name: &str,
    url: String,
    cookie: &str,
    post: Option<(String, Option<&Path>)>,
) -> anyhow::Result<LoadResult> {
    eprintln!("   {name}");
    let connections = if post.is_some() {
        args.clients
    } else {
        args.page_clients
    };
    let (form_body, ids_file) = post.map_or((None, None), |(body, ids)| (Some(body), ids));
    load::run(
        &Load {
            url,
            cookie,
            connections,
            form_body,
            ids_file,
            threads: 2,
            duration: args.duration,
        },
        &args.work_dir,
        name,
    )
}

/// Writes the ids of the requests still pending, one per line, for the approvals to take.
async fn pending_ids_file(pool: &PgPool, work_dir: &Path) -> anyhow::Result<PathBuf> {
    let pending: Vec<i64> =
        sqlx::query_scalar("select id from requests where status = 'pending_approval' order by id")
            .fetch_all(pool)
            .await?;
    let ids_file = work_dir.join("pending-ids.txt");
    let lines: String = pending.iter().map(|id| format!("{id}\n")).collect();
    std::fs::write(&ids_file, lines)?;
    Ok(ids_file)
}

async fn round(args: &BenchArgs, size: i64, sim_url: &str) -> anyhow::Result<Round> {
    let (pool, url, seeded) = seeded_database(args, size).await?;
    // No workers: approvals pile up as jobs; forwarding is measured on its own, at DigiCert's pace.
    let log = format!("server-{size}.log");
    let (server, base) = serve(args, &url, sim_url, 0, &log).await?;
    let approver_cookie = sign_in(&base, seed::APPROVER).await?;
    let admin_cookie = sign_in(&base, seed::ADMIN).await?;
    let requester_cookie = sign_in(&base, seed::REQUESTER).await?;
    let search = search_term(size);
    let approvals = wrk(
        args,
        "approvals-page",
        format!("{base}/approvals"),
        &approver_cookie,
        None,
    )?;
    let history = wrk(
        args,
        "history-search",
        format!("{base}/history?q={search}"),
        &admin_cookie,
        None,
    )?;
    let (approvals_sql, history_sql) = bare_sql(args, &pool, &seeded, &search).await?;
    let submit = wrk(
        args,
        "submit",
        format!("{base}/api/requests/submit"),
        &requester_cookie,
        Some((submit_body(), None)),
    )?;
    // Every approval needs a request still pending: the seeded queue and what was just submitted.
    let ids_file = pending_ids_file(&pool, &args.work_dir).await?;
    let approve = wrk(
        args,
        "approve",
        format!("{base}/api/approvals/decide"),
        &approver_cookie,
        Some(("decision=approve&note=Benchmark".into(), Some(&ids_file))),
    )?;
    eprintln!("   csv export");
    let csv = csv_export(&pool, &base, &admin_cookie, server.pid()).await?;
    let peak_memory = memory(server.pid(), "VmHWM").unwrap_or(0);
    drop(server);
    pool.close().await;
    Ok(Round {
        size,
        approvals,
        history,
        submit,
        approve,
        approvals_sql,
        history_sql,
        csv,
        peak_memory,
    })
}

/// A fresh database holding `size` requests, written out to disk so every round starts quiet.
async fn seeded_database(
    args: &BenchArgs,
    size: i64,
) -> anyhow::Result<(PgPool, String, seed::Seeded)> {
    let seeding = Instant::now();
    let (pool, url) = fresh_database(&args.database_url, "certdesk_bench").await?;
    let seeded = seed::seed(&pool, size, CSR).await?;
    eprintln!(
        "   seeded {} requests ({} pending) in {:.1} s",
        seeded.requests,
        seeded.pending,
        seeding.elapsed().as_secs_f64()
    );
    // Start every round from a quiet database: the seed's WAL written out, statistics fresh.
    sqlx::query("checkpoint").execute(&pool).await?;
    Ok((pool, url, seeded))
}

/// The queries behind (a) and (b) without HTTP, sessions or rendering, on the same (unwritten)
/// data and with as many clients as the pages had.
async fn bare_sql(
    args: &BenchArgs,
    pool: &PgPool,
    seeded: &seed::Seeded,
    search: &str,
) -> anyhow::Result<(Latencies, Latencies)> {
    eprintln!("   bare SQL");
    let approver = CurrentUser {
        id: seeded.approver_id,
        email: seed::APPROVER.into(),
        display_name: "bench approver".into(),
        roles: vec![Role::Approver],
        must_change_password: false,
    };
    let approvals = sql::approvals_queue(pool, approver, args.page_clients, args.duration).await?;
    let history_filter = HistoryFilter {
        q: search.to_owned(),
        ..HistoryFilter::default()
    };
    let history =
        sql::history_search(pool, history_filter, args.page_clients, args.duration).await?;
    Ok((approvals, history))
}

/// Exports the newest ~100k rows (a date filter, as an admin would choose) three times, watching
/// the server's memory while it streams.
async fn csv_export(
    pool: &PgPool,
    base: &str,
    cookie: &str,
    server_pid: u32,
) -> anyhow::Result<CsvResult> {
    let from: Option<time::OffsetDateTime> = sqlx::query_scalar(
        "select submitted_at from requests order by submitted_at desc offset $1 limit 1",
    )
    .bind(CSV_ROWS - 1)
    .fetch_optional(pool)
    .await?;
    let query = match from {
        Some(at) => format!("?from={}", at.date()),
        None => String::new(),
    };
    let http = reqwest::Client::new();
    let rss_before = memory(server_pid, "VmRSS").unwrap_or(0);
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let watching = watching.clone();
        tokio::spawn(async move {
            let mut highest = 0;
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                highest = highest.max(memory(server_pid, "VmRSS").unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            highest
        })
    };
    let mut runs = Vec::new();
    let mut rows = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let mut res = http
            .get(format!("{base}/history.csv{query}"))
            .header("cookie", cookie)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("the CSV export answered {}", res.status());
        }
        let mut lines = 0u64;
        while let Some(chunk) = res.chunk().await? {
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        runs.push(started.elapsed());
        // The header line is not a row.
        rows = lines.saturating_sub(1);
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let rss_during = watcher.await?;
    Ok(CsvResult {
        rows,
        runs,
        rss_before,
        rss_during,
    })
}

/// Submits and approves `args.drain` requests on a fresh database with two workers running, and
/// times until every one is issued, through a simulator enforcing DigiCert's rate limits.
async fn drain(args: &BenchArgs) -> anyhow::Result<Drain> {
    let (pool, url) = fresh_database(&args.database_url, "certdesk_bench_drain").await?;
    seed::seed(&pool, 0, CSR).await?;
    // A simulator of its own, so the load rounds' traffic is not in its windows.
    let (_sim, sim_url) = start_simulator(&args.certdesk, SIM_KEY)?;
    let (_server, base) = serve(args, &url, &sim_url, 2, "server-drain.log").await?;
    let requester = sign_in(&base, seed::REQUESTER).await?;
    let approver = sign_in(&base, seed::APPROVER).await?;
    let http = reqwest::Client::new();
    let ids = submit_many(&http, &base, &requester, args.drain).await?;
    let started = Instant::now();
    approve_all(&http, &base, &approver, &ids).await?;
    wait_until_issued(&pool, args.drain).await?;
    let elapsed = started.elapsed();
    let stats: certdesk::simulator::Stats = http
        .get(format!("{sim_url}/__simulator/stats"))
        .header("X-DC-DEVKEY", SIM_KEY)
        .send()
        .await?
        .json()
        .await?;
    Ok(Drain {
        approvals: args.drain,
        elapsed,
        rate_limited: stats.counters.rate_limited,
        requests: stats.counters.requests,
        duplicates: stats.duplicated_alternative_ids.len(),
    })
}

/// Submits `count` Basic OV requests as `requester`, answering their ids.
async fn submit_many(
    http: &reqwest::Client,
    base: &str,
    requester: &str,
    count: u32,
) -> anyhow::Result<Vec<i64>> {
    let body = submit_body();
    let mut ids = Vec::new();
    for _ in 0..count {
        let res = http
            .post(format!("{base}/api/requests/submit"))
            .header("sec-fetch-site", "same-origin")
            .header("cookie", requester)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("submitting answered {}", res.status());
        }
        ids.push(res.json::<i64>().await?);
    }
    Ok(ids)
}

/// Approves `ids` as `approver`, a hundred per bulk approval as the approvals page sends them.
async fn approve_all(
    http: &reqwest::Client,
    base: &str,
    approver: &str,
    ids: &[i64],
) -> anyhow::Result<()> {
    for chunk in ids.chunks(100) {
        let mut form: Vec<(String, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("ids[{i}]"), id.to_string()))
            .collect();
        form.push(("comment".into(), "Benchmark".into()));
        let res = http
            .post(format!("{base}/api/approvals/approve_many"))
            .header("sec-fetch-site", "same-origin")
            .header("cookie", approver)
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("bulk approval answered {}", res.status());
        }
    }
    Ok(())
}

/// Waits (at most 30 minutes) until `count` requests are issued.
async fn wait_until_issued(pool: &PgPool, count: u32) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30 * 60);
    loop {
        let issued: i64 =
            sqlx::query_scalar("select count(*) from requests where status = 'issued'")
                .fetch_one(pool)
                .await?;
        if issued >= i64::from(count) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {issued} of {count} issued after 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_048_576.0)
}

fn verdict(ok: bool) -> String {
    if ok { "ok".into() } else { "MISSED".into() }
}

fn size_label(size: i64) -> String {
    match size {
        s if s >= 1_000_000 && s % 1_000_000 == 0 => format!("{}M", s / 1_000_000),
        s if s >= 1_000 && s % 1_000 == 0 => format!("{}k", s / 1_000),
        s => s.to_string(),
    }
}

fn report(
    args: &BenchArgs,
    rounds: &[Round],
    drain: Option<&Drain>,
    browser: &Browser,
    first_run: Option<&first_run::FirstRun>,
) -> String {
    let header = [
        "size", "measure", "P50 ms", "P99 ms", "Per s", "Failed", "target", "",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for round in rounds {
        rows.extend(round_rows(args, rounds, round));
    }
    if let Some(d) = drain {
        rows.push(vec![
            "-".into(),
            format!("worker drain, {} approvals", d.approvals),
            String::new(),
            String::new(),
            format!("{:.1} s", d.elapsed.as_secs_f64()),
            d.rate_limited.to_string(),
            format!(
                "0 answers of 429 ({} DigiCert requests, {} duplicate orders)",
                d.requests, d.duplicates
            ),
            verdict(d.rate_limited == 0 && d.duplicates == 0),
        ]);
    }
    rows.extend(browser_rows(browser));
    rows.push(first_run_row(first_run));
    format!(
        "certdesk benchmark: wrk for {} s per run; (a), (b) and their SQL with {} clients, (c) and (d) with {}; {} cores\n\n{}\n",
        args.duration.as_secs(),
        args.page_clients,
        args.clients,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        table(&header, &rows)
    )
}

/// The rows of one database size: each load, the CSV export, the portal/SQL ratios, memory.
fn round_rows(args: &BenchArgs, rounds: &[Round], r: &Round) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let p99_at = |size: i64, pick: fn(&Round) -> &LoadResult| {
        rounds.iter().find(|r| r.size == size).map(|r| pick(r).p99)
    };
    let smallest = rounds.iter().map(|r| r.size).min().unwrap_or(0);
    let size = size_label(r.size);
    let page_target = |pick: fn(&Round) -> &LoadResult| -> (String, String) {
        let p99 = pick(r).p99;
        if r.size == 100_000 {
            (
                "p99 <= 20 ms".into(),
                verdict(p99 <= Duration::from_millis(20)),
            )
        } else if r.size >= 1_000_000 && smallest < r.size {
            let base = p99_at(smallest, pick).unwrap_or_default();
            (
                format!("p99 <= 2x {} ({} ms)", size_label(smallest), ms(base * 2)),
                verdict(p99 <= base * 2),
            )
        } else {
            (String::new(), String::new())
        }
    };
    let mut load_row = |name: &str, l: &LoadResult, target: (String, String)| {
        rows.push(vec![
            size.clone(),
            name.into(),
            ms(l.p50),
            ms(l.p99),
            format!("{:.0}", l.per_second()),
            l.failures.to_string(),
            target.0,
            target.1,
        ]);
    };
    load_row(
        "(a) approvals page",
        &r.approvals,
        page_target(|r| &r.approvals),
    );
    load_row(
        "(b) history search",
        &r.history,
        page_target(|r| &r.history),
    );
    let rate_target = |l: &LoadResult| {
        (
            format!(">= 1000/s, {} clients", args.clients),
            verdict(l.per_second() >= 1000.0 && l.failures == 0),
        )
    };
    load_row("(c) submit request", &r.submit, rate_target(&r.submit));
    load_row("(d) approve", &r.approve, rate_target(&r.approve));
    rows.push(csv_row(&size, &r.csv));
    rows.extend(sql_rows(&size, r));
    rows.push(vec![
        size.clone(),
        "server peak memory".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        mb(r.peak_memory),
        String::new(),
    ]);
    rows
}

/// The CSV export: median and worst time, rows per second, memory growth while streaming.
fn csv_row(size: &str, csv: &CsvResult) -> Vec<String> {
    let mut sorted = csv.runs.clone();
    sorted.sort();
    let worst = sorted.last().copied().unwrap_or_default();
    let growth = csv.rss_during.saturating_sub(csv.rss_before);
    vec![
        size.to_owned(),
        format!("(e) CSV export, {} rows", csv.rows),
        ms(sorted.get(sorted.len() / 2).copied().unwrap_or_default()),
        ms(worst),
        format!(
            "{:.0} rows",
            csv.rows as f64 / worst.as_secs_f64().max(1e-9)
        ),
        "0".into(),
        format!("<= 2 s, RSS +{} while streaming", mb(growth)),
        verdict(worst <= Duration::from_secs(2) && growth < 64 * 1_048_576),
    ]
}

/// The bare SQL behind (a) and (b), and how much slower the portal's pages are.
fn sql_rows(size: &str, r: &Round) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (name, portal, bare) in [
        ("    SQL of (a)", &r.approvals, &r.approvals_sql),
        ("    SQL of (b)", &r.history, &r.history_sql),
    ] {
        let ratio = |a: Duration, b: Duration| {
            if b.is_zero() {
                "-".into()
            } else {
                format!("{:.1}", a.as_secs_f64() / b.as_secs_f64())
            }
        };
        let within_2x = |a: Duration, b: Duration| a <= b * 2;
        rows.push(vec![
            size.to_owned(),
            name.into(),
            ms(bare.percentile(50.0)),
            ms(bare.percentile(99.0)),
            format!("{:.0}", bare.per_second()),
            "0".into(),
            format!(
                "portal/SQL p50 {}x, p99 {}x (<= 2x)",
                ratio(portal.p50, bare.percentile(50.0)),
                ratio(portal.p99, bare.percentile(99.0))
            ),
            verdict(
                within_2x(portal.p50, bare.percentile(50.0))
                    && within_2x(portal.p99, bare.percentile(99.0)),
            ),
        ]);
    }
    rows
}

/// The bundle's rows: the shell and every chunk, then each first visit against 300 KB brotli.
fn browser_rows(browser: &Browser) -> Vec<Vec<String>> {
    let kb = |bytes: u64| format!("{:.0} KB", bytes as f64 / 1024.0);
    let row = |measure: String, target: String, ok: String| {
        vec![
            "-".into(),
            measure,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            target,
            ok,
        ]
    };
    let b = &browser.bundle;
    let mut rows = vec![
        row(
            "release wasm: the shell".into(),
            format!(
                "{} raw ({} constants), {} brotli{}",
                kb(b.shell.raw),
                kb(b.shell_data),
                kb(b.shell.brotli),
                if b.groups_without_data.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the constants of {} stayed in it",
                        b.groups_without_data.join(", ")
                    )
                }
            ),
            if b.groups_without_data.is_empty() {
                String::new()
            } else {
                "MISSED".into()
            },
        ),
        row(
            format!("release wasm: shell + {} chunks", b.chunks),
            format!("{} raw, {} brotli", kb(b.all.raw), kb(b.all.brotli)),
            String::new(),
        ),
    ];
    for visit in &browser.first_visits {
        let uncompressed = match visit.uncompressed {
            0 => String::new(),
            n => format!(", {n} sent uncompressed"),
        };
        rows.push(row(
            format!("first visit: {}", visit.page),
            format!(
                "{} sent in {} files{uncompressed}, {} raw (<= 300 KB)",
                kb(visit.sent),
                visit.files,
                kb(visit.raw)
            ),
            verdict(visit.sent <= 300 * 1024),
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(p50_ms: u64, p99_ms: u64) -> LoadResult {
        LoadResult {
            requests: 1000,
            seconds: 10.0,
            p50: Duration::from_millis(p50_ms),
            p99: Duration::from_millis(p99_ms),
            failures: 0,
        }
    }

    /// Every bare query took 10 ms.
    fn sql() -> Latencies {
        Latencies::new(vec![Duration::from_millis(10); 100], Duration::from_secs(1))
    }

    fn round(approvals: LoadResult, history: LoadResult, csv: CsvResult) -> Round {
        Round {
            size: 10_000,
            approvals,
            history,
            submit: load(40, 80),
            approve: load(30, 50),
            approvals_sql: sql(),
            history_sql: sql(),
            csv,
            peak_memory: 64 * 1_048_576,
        }
    }

    fn csv(worst_ms: u64, growth: u64) -> CsvResult {
        CsvResult {
            rows: 17_000,
            runs: vec![Duration::from_millis(100), Duration::from_millis(worst_ms)],
            rss_before: 50 * 1_048_576,
            rss_during: 50 * 1_048_576 + growth,
        }
    }

    #[test]
    fn a_page_within_twice_its_bare_sql_is_ok_and_a_slower_one_missed() {
        let r = round(load(20, 20), load(25, 15), csv(150, 0));
        let rows = sql_rows("10k", &r);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][6], "portal/SQL p50 2.0x, p99 2.0x (<= 2x)");
        assert_eq!(rows[0][7], "ok");
        assert_eq!(rows[1][6], "portal/SQL p50 2.5x, p99 1.5x (<= 2x)");
        assert_eq!(rows[1][7], "MISSED", "p50 alone over 2x misses");
    }

    #[test]
    fn a_csv_export_must_be_quick_and_stream() {
        assert_eq!(csv_row("10k", &csv(1500, 10 * 1_048_576))[7], "ok");
        assert_eq!(csv_row("10k", &csv(2500, 0))[7], "MISSED", "over 2 s");
        assert_eq!(
            csv_row("10k", &csv(150, 100 * 1_048_576))[7],
            "MISSED",
            "memory grew with the export"
        );
    }

    #[test]
    fn a_size_reports_each_load_its_export_its_ratios_and_memory() {
        let cli = <BenchCli as clap::Parser>::parse_from([
            "certdesk-bench",
            "--database-url",
            "postgres://unused",
        ]);
        let args = BenchArgs::from(cli);
        let r = round(load(20, 20), load(20, 20), csv(150, 0));
        let rows = round_rows(&args, std::slice::from_ref(&r), &r);
        let measures: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
        assert_eq!(
            measures,
            [
                "(a) approvals page",
                "(b) history search",
                "(c) submit request",
                "(d) approve",
                "(e) CSV export, 17000 rows",
                "    SQL of (a)",
                "    SQL of (b)",
                "server peak memory",
            ]
        );
        assert_eq!(rows[2][7], "MISSED", "100 requests per second is not 1000");
    }

    #[test]
    fn sizes_take_suffixes_and_refuse_nonsense() {
        assert_eq!(
            parse_sizes("10k,100k,1M").unwrap().0,
            [10_000, 100_000, 1_000_000]
        );
        assert_eq!(parse_sizes(" 500 ").unwrap().0, [500]);
        for bad in ["", "0", "-5", "ten", "1G", "100M", "k"] {
            let err = parse_sizes(bad).unwrap_err();
            assert!(err.contains("is not a size"), "{bad}: {err}");
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_label(10_000), "10k");
        assert_eq!(size_label(1_000_000), "1M");
        assert_eq!(size_label(1_500), "1500");
    }

    #[test]
    fn the_submitted_form_is_encoded_as_a_browser_posts_it() {
        let body = submit_body();
        assert!(body.starts_with("form%5Bkind%5D=basic-ov&"));
        assert!(!body.contains('\n'));
        // The PEM's newlines, slashes and pluses survive the trip.
        let csr = url::form_urlencoded::parse(body.as_bytes())
            .find(|(name, _)| name == "form[csr]")
            .map(|(_, value)| value.into_owned());
        assert_eq!(csr.as_deref(), Some(CSR));
    }
}
