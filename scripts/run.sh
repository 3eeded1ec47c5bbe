#!/usr/bin/env bash
# Sets up what is missing, builds a release, and runs certdesk at http://127.0.0.1:3000.
# Without DATABASE_URL it starts a private PostgreSQL cluster under ./.data and stops it on exit;
# without DIGICERT_API_KEY it runs in demo mode on the built-in DigiCert simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

# Type-erased views: a much smaller wasm, and the build the tests use.
export RUSTFLAGS="--cfg erase_components"
# SQL is checked against the committed query data (.sqlx/), not a live database.
export SQLX_OFFLINE=true
cargo leptos build --release --split
bash scripts/compress-site.sh
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
exec target/release/certdesk serve
