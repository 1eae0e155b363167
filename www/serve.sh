#!/usr/bin/env bash
# Builds the annotator and serves it on http://127.0.0.1:8000 (installing what
# is missing first).   PORT=8001 bash www/serve.sh   or   bash www/serve.sh --port 8001
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
port=${PORT:-8000}
if [ "${1:-}" = "--port" ] && [ -n "${2:-}" ]; then port=$2; fi

bash www/build.sh
printf '\033[1m==> building the lede command (release)\033[0m\n'
. "$root/tests/cargo-env.sh"
$HOST_CARGO build -q --release --bin lede
exec target/release/lede serve --port "$port" --dir www
