//! `certdesk-bench`: load-tests a release build of certdesk (see `scripts/bench.sh`).

use certdesk_bench::{BenchCli, run};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = BenchCli::parse();
    println!("{}", run(cli.into()).await?);
    Ok(())
}
