#!/usr/bin/env bash
# Writes a brotli (quality 11) and a gzip copy beside each file of the built browser bundle; the
# server sends one of them to browsers that accept it (`bundle_files`, server/src/startup.rs).
# run.sh and bench.sh call this after `cargo leptos build --release`; a copy as new as its file
# is kept. cargo-leptos' own --precompress would do the same but makes the build
# compile the browser and server halves one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="${1:-target/site/pkg}"
stale=()
while IFS= read -r -d '' file; do
  # Each copy carries its file's time (touch -r below), so a current copy is not older.
  if [[ ! -e "$file.br" || "$file.br" -ot "$file" || ! -e "$file.gz" || "$file.gz" -ot "$file" ]]; then
    stale+=("$file")
  fi
done < <(find "$pkg" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0)
if ((${#stale[@]} > 0)); then
  printf '%s\0' "${stale[@]}" | xargs -0 -n 8 -P 2 sh -c '
    for f; do brotli -f -q 11 "$f" && gzip -f -k -9 "$f" && touch -r "$f" "$f.br" "$f.gz" || exit 1; done' compress
fi
echo "compressed ${#stale[@]} files in $pkg" >&2
