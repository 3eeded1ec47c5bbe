#!/usr/bin/env bash
# Fuzzes certdesk's CSR reader (PEM/base64 decoding, the DER reader, the CSR checks) for a fixed
# time, starting from the real CSRs in app/tests/fixtures/csr: ./scripts/fuzz.sh [seconds]
# (default 300). A crash or a hang leaves its input under app/fuzz/artifacts/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds]" >&2
  exit 2
fi
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus="$PWD/target/fuzz-corpus/csr_inspect"
mkdir -p "$corpus"
cp app/tests/fixtures/csr/*.csr app/tests/fixtures/csr/*.der app/tests/fixtures/csr/certificate.pem "$corpus/"
cd app
# cargo-fuzz builds with sanitizer flags only nightly rustc accepts; RUSTC_BOOTSTRAP lets this
# machine's stable compiler take them.
RUSTC_BOOTSTRAP=1 cargo fuzz run csr_inspect "$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=512 -timeout=5 -max_len=70000 -print_final_stats=1
