#!/usr/bin/env bash
# Installs whatever certdesk needs that is missing on Debian 12, and nothing else.
# Idempotent: when everything is present it only checks versions and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: PostgreSQL server programs, Chromium for browser tests, Node.js for Playwright,
# a C toolchain for crates with C parts, brotli to measure the wasm, wrk to load-test.
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v chromium >/dev/null || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v cc >/dev/null || missing+=(build-essential)
command -v brotli >/dev/null || missing+=(brotli)
command -v wrk >/dev/null || missing+=(wrk)
command -v git >/dev/null || missing+=(git)
# The SMTP server the mail tests start (Debian's Python, not a pyenv one).
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -q
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The build tools are installed unoptimised: their own release profile (fat LTO, one codegen unit)
# cost most of a first run and buys nothing for programs that mostly wait for cargo (7.5 instead of
# 13.7 minutes for both on 2 cores; wasm-bindgen's step in a build stays about 2 s). Both installs
# run at once with the Node packages below, so the machine's cores stay busy.
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false cargo install "$@"
}
installs=()
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (a few minutes the first time)"
  quick_install --locked cargo-leptos@0.3.10 --features no_downloads &
  installs+=($!)
fi

# The CLI must equal the wasm-bindgen crate version pinned in Cargo.toml.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
  say "installing wasm-bindgen-cli 0.2.130"
  # Not --locked: its lockfile names a crate version the registry lacks.
  quick_install wasm-bindgen-cli --version 0.2.130 &
  installs+=($!)
fi

# The test command checks the committed SQL query data with sqlx-cli (the same version as the
# sqlx crate); running the portal does not need it.
if [ "${1:-}" = "--for-tests" ] && [ "$(sqlx --version 2>/dev/null)" != "sqlx-cli 0.8.6" ]; then
  say "installing sqlx-cli 0.8.6"
  quick_install --locked sqlx-cli --version 0.8.6 --no-default-features --features postgres,rustls &
  installs+=($!)
fi
# ... and the views' formatting with leptosfmt.
if [ "${1:-}" = "--for-tests" ] && [ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt 0.1.33" ]; then
  say "installing leptosfmt 0.1.33"
  quick_install --locked leptosfmt --version 0.1.33 &
  installs+=($!)
fi

# Playwright and binaryen's wasm-opt (Debian's binaryen is too old: its output fails to hydrate).
if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing Node packages for end2end/"
  (cd end2end && npm ci --no-audit --no-fund)
fi

for pid in "${installs[@]}"; do
  wait "$pid" || { echo "installing a build tool failed (see above)" >&2; exit 1; }
done
