#!/usr/bin/env bash
# The benchmark: builds a release, starts a PostgreSQL cluster of its own under ./.data/bench,
# seeds 10k, 100k and 1M requests in turn, drives the release server with wrk, drains 1,000
# approvals through the simulator at DigiCert's rate limits, and prints one table.
# Arguments go to the load-test program (`certdesk-bench`, its own crate in server/bench/), e.g. `scripts/bench.sh --sizes 10k,100k --seconds 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "building the release site"
# Type-erased views: a much smaller wasm, and the build the tests use.
export RUSTFLAGS="--cfg erase_components"
# SQL is checked against the committed query data (.sqlx/), not a live database.
export SQLX_OFFLINE=true
cargo leptos build --release --split
bash scripts/compress-site.sh
say "building the load-test program"
cargo build --release -p certdesk-bench

export CERTDESK_DATA_DIR=.data/bench
say "starting the benchmark's PostgreSQL cluster in $CERTDESK_DATA_DIR"
DATABASE_URL="$(env -u DATABASE_URL target/release/certdesk db start)"
export DATABASE_URL
trap 'env -u DATABASE_URL target/release/certdesk db stop >/dev/null 2>&1 || true' EXIT

target/release/certdesk-bench --certdesk target/release/certdesk "$@"
