#!/usr/bin/env bash
# Sets up what is missing and runs every test: formatting and lints, unit and database tests,
# HTTP tests against the real app, and Playwright in Chromium with JavaScript on and off.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The same flags cargo-leptos uses for debug builds, so tests reuse its build instead of redoing it.
export RUSTFLAGS="--cfg erase_components"
export LEPTOS_OUTPUT_NAME=certdesk
# Compile-checked SQL reads the committed query data in .sqlx/, never a live database, so every
# build gives the same answer; the check below proves that data current.
export SQLX_OFFLINE=true

say "checking formatting (rustfmt, and leptosfmt for the views)"
cargo fmt --all --check
leptosfmt --check --quiet app/src

say "building the portal (server and wasm)"
cargo leptos build --split

say "clippy: server and browser builds"
cargo clippy -p certdesk -p certdesk-app -p certdesk-bench --features certdesk-app/ssr --all-targets -- -D warnings
cargo clippy -p certdesk-frontend --target wasm32-unknown-unknown -- -D warnings
# A portal built without the DigiCert simulator (it talks to CertCentral only) still builds.
cargo clippy -p certdesk --no-default-features -- -D warnings

# A throwaway PostgreSQL cluster for this run, separate from the portal's own data.
test_data=.data/test
export CERTDESK_DATA_DIR="$test_data"
target/debug/certdesk db stop >/dev/null 2>&1 || true
rm -rf "$test_data"
say "starting a test PostgreSQL cluster in $test_data"
DATABASE_URL="$(env -u DATABASE_URL target/debug/certdesk db start)"
# Throwaway data: no fsync. Two HTTP tests at once can hold over 100 connections (apps, workers,
# a second portal process); PostgreSQL's default of 100 made pages wait out their pool and
# answer 503. max_connections takes effect on a restart.
psql -q "$DATABASE_URL" -c "alter system set max_connections = 400" -c "alter system set fsync = off" \
  -c "alter system set synchronous_commit = off" -c "alter system set full_page_writes = off"
env -u DATABASE_URL target/debug/certdesk db stop >/dev/null
DATABASE_URL="$(env -u DATABASE_URL target/debug/certdesk db start)"
PORTAL_URL="$(env -u DATABASE_URL target/debug/certdesk db portal-url)"
export DATABASE_URL
trap 'env -u DATABASE_URL target/debug/certdesk db stop >/dev/null 2>&1 || true' EXIT

say "checking that the committed SQL query data (.sqlx/) matches the code and the migrations"
queries_url="${DATABASE_URL/\/certdesk\?//certdesk_queries?}"
psql -q "$DATABASE_URL" -c "create database certdesk_queries"
sqlx migrate run --source migrations --database-url "$queries_url" >/dev/null
DATABASE_URL="$queries_url" SQLX_OFFLINE=false cargo sqlx prepare --check --workspace -- -p certdesk

say "unit and database tests"
cargo test -p certdesk-app --features ssr
say "HTTP and command-line tests"
cargo test -p certdesk
say "the load test's own tests"
cargo test -p certdesk-bench

say "browser tests (Chromium, JavaScript on and off)"
psql -q "$DATABASE_URL" -c "create database certdesk_e2e"
# The portal runs as its own role (owning nothing); migrations run as the schema owner.
export E2E_MIGRATION_URL="${DATABASE_URL/\/certdesk\?//certdesk_e2e?}"
export E2E_DATABASE_URL="${PORTAL_URL/\/certdesk\?//certdesk_e2e?}"
(cd end2end && npx playwright test)

say "all tests passed"
