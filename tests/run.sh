#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests, the wasm boundary tests
# (Node), and the end-to-end browser tests (Debian's Chromium driven by
# playwright-core). Installs what it needs first; a second run takes seconds
# plus the tests themselves.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'tests: %s\n' "$*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

bash www/build.sh || fail "the wasm build failed (see above)"
. tests/cargo-env.sh
step "building the lede command (release) for the cross-checks"
$HOST_CARGO build -q --release --bin lede || fail "cargo build failed"

# www/build.sh installs npm (and with it node) only when it needs binaryen
# from npm; the tests need both in any case.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  step "installing Debian's nodejs and npm for the wasm and browser tests"
  [ -f /tmp/.lede-apt-updated ] || { $SUDO apt-get update -qq >/dev/null && touch /tmp/.lede-apt-updated; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || fail "apt-get install nodejs npm failed"
fi
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans Telugu"; then
  step "installing Debian's chromium and Telugu fonts for the browser tests"
  [ -f /tmp/.lede-apt-updated ] || { $SUDO apt-get update -qq >/dev/null && touch /tmp/.lede-apt-updated; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null \
    || fail "apt-get install chromium fonts-noto-core failed"
fi
if [ -f tests/browser/package-lock.json ] && { [ ! -d tests/browser/node_modules ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; }; then
  step "installing the browser tests' npm packages"
  (cd tests/browser && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/browser failed"
  touch tests/browser/node_modules
fi

declare -a names=() codes=()
suite() {
  local name=$1; shift
  step "$name"
  "$@"
  local rc=$?
  names+=("$name"); codes+=("$rc")
}
suite "Rust unit and integration tests" $HOST_CARGO test -q
suite "wasm boundary tests (node)" node --test tests/wasm/*.test.mjs
if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  suite "browser end-to-end tests (chromium)" node --test --test-concurrency=1 tests/browser/*.test.mjs
fi

step "summary"
failed=0
for i in "${!names[@]}"; do
  if [ "${codes[$i]}" = 0 ]; then echo "  ok    ${names[$i]}"; else echo "  FAIL  ${names[$i]} (exit ${codes[$i]})"; failed=$((failed + 1)); fi
done
passed=$(( ${#names[@]} - failed ))
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
