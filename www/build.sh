#!/usr/bin/env bash
# Builds the annotator page's WebAssembly module into www/pkg, installing
# whatever is missing first. Safe to run again: a second run takes seconds.
#
#   bash www/build.sh            build (release settings from wasm-pack.toml)
#
# Toolchain: rustup's wasm32 target when it is installed; otherwise Debian's
# Rust (rustc-web) with a wasm32 std built once into its sysroot, as described
# in ../shared/notes/wasm-toolchain.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'build: %s\n' "$*" >&2; exit 1; }

# Settings from wasm-pack.toml (flat `key = "value"` lines).
conf() {
  local v
  v=$(sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\(.*\)\"[[:space:]]*\$/\1/p" wasm-pack.toml | head -n1)
  [ -n "$v" ] || fail "wasm-pack.toml has no setting '$1'"
  printf '%s' "$v"
}
WB_VERSION=$(conf wasm_bindgen_version)
TARGET_FLAVOUR=$(conf target)
PROFILE=$(conf profile)
OUT_DIR=$(conf out_dir)
OUT_NAME=$(conf out_name)
OPT_FLAGS=$(conf wasm_opt_flags)
RUST_FLAGS=$(conf rustflags)

grep -q "wasm-bindgen = \"=$WB_VERSION\"" Cargo.toml \
  || fail "Cargo.toml must pin wasm-bindgen = \"=$WB_VERSION\" (the version in wasm-pack.toml)"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
apt_install() {
  step "installing Debian packages: $*"
  if [ ! -f /tmp/.lede-apt-updated ]; then
    $SUDO apt-get update -qq >/dev/null || fail "apt-get update failed: check the network to Debian's mirrors"
    touch /tmp/.lede-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || fail "apt-get install $* failed"
}

# 1. A Rust toolchain that can target wasm32.
CARGO=""
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  CARGO=cargo
  step "toolchain: rustup's wasm32-unknown-unknown target"
else
  step "toolchain: Debian's rustc-web with a wasm32 std (rustup has no wasm32 target here)"
  if ! /usr/bin/rustc --version 2>/dev/null | grep -q '^rustc 1\.\(9[6-9]\|[1-9][0-9][0-9]\)'; then
    apt_install rustc-web cargo-web rust-web-src lld-22
  fi
  command -v wasm-ld-22 >/dev/null || apt_install lld-22
  [ -d /usr/lib/rustlib/src/rust/library ] || apt_install rust-web-src
  CARGO=/usr/bin/cargo
  # /usr/bin/cargo would otherwise run rustup's rustc proxy, first on PATH.
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
  sysroot=$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib
  if ! ls "$sysroot"/libstd-*.rlib >/dev/null 2>&1; then
    step "building the wasm32 standard library once (about a minute)"
    scratch=$(mktemp -d)
    mkdir -p "$scratch/src"
    printf '[package]\nname = "lede_wasm_std"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n[profile.release]\npanic = "abort"\n' > "$scratch/Cargo.toml"
    echo '#![no_std]' > "$scratch/src/lib.rs"
    (cd "$scratch" && RUSTC_BOOTSTRAP=1 $CARGO build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort) \
      || fail "building the wasm32 std failed (see the output above)"
    $SUDO mkdir -p "$sysroot"
    $SUDO cp "$scratch"/target/wasm32-unknown-unknown/release/deps/*.rlib "$sysroot/"
    $SUDO rm -f "$sysroot"/liblede_wasm_std-*.rlib
    rm -rf "$scratch"
  fi
fi

# 2. wasm-bindgen's CLI, exactly the crate's version.
export PATH="$HOME/.cargo/bin:$PATH"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  step "installing wasm-bindgen-cli $WB_VERSION (about 3 minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION" \
    || fail "cargo install wasm-bindgen-cli $WB_VERSION failed: is crates.io reachable?"
fi

# 3. The module and its JS glue.
step "compiling the core to wasm32 ($PROFILE, $RUST_FLAGS)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$RUST_FLAGS" \
  $CARGO build -q --lib --profile "$PROFILE" --target wasm32-unknown-unknown
dir=$PROFILE; [ "$PROFILE" = dev ] && dir=debug
wasm="target/wasm32-unknown-unknown/$dir/lede.wasm"
step "generating JS bindings into $OUT_DIR"
rm -rf "$OUT_DIR.tmp"
wasm-bindgen --target "$TARGET_FLAVOUR" --out-dir "$OUT_DIR.tmp" --out-name "$OUT_NAME" --no-typescript "$wasm"

# 4. Size pass with binaryen's wasm-opt (about a fifth smaller, no slower):
# the system's when it is 116 or newer (older ones mishandle the
# reference-types table that wasm-bindgen sets up, and the module then fails
# to start; Debian bookworm has 108), else binaryen's npm package at the
# version pinned in wasm-pack.toml, installed once into a cache directory.
# Optional: without it the page works, only its module is larger.
WASM_OPT=""
opt_version=$(wasm-opt --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' || true)
if [ -n "$opt_version" ] && [ "$opt_version" -ge 116 ]; then
  WASM_OPT=wasm-opt
else
  OPT_NPM=$(conf wasm_opt_npm)
  opt_dir="${XDG_CACHE_HOME:-$HOME/.cache}/lede/$OPT_NPM"
  if [ ! -x "$opt_dir/node_modules/.bin/wasm-opt" ]; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    step "installing $OPT_NPM (wasm-opt) from npm into $opt_dir"
    mkdir -p "$opt_dir"
    npm install --prefix "$opt_dir" --no-save --no-audit --no-fund --silent "$OPT_NPM" >/dev/null 2>&1 \
      || step "wasm-opt: npm could not install $OPT_NPM; the module stays unoptimised"
  fi
  [ -x "$opt_dir/node_modules/.bin/wasm-opt" ] && WASM_OPT="$opt_dir/node_modules/.bin/wasm-opt"
  opt_version=$("$opt_dir/node_modules/.bin/wasm-opt" --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' || true)
fi
if [ -n "$WASM_OPT" ]; then
  # shellcheck disable=SC2086
  if "$WASM_OPT" $OPT_FLAGS "$OUT_DIR.tmp/${OUT_NAME}_bg.wasm" -o "$OUT_DIR.tmp/opt.wasm" 2>/dev/null; then
    mv "$OUT_DIR.tmp/opt.wasm" "$OUT_DIR.tmp/${OUT_NAME}_bg.wasm"
    step "wasm-opt $opt_version: optimised"
  else
    step "wasm-opt $opt_version: skipped (it could not read the module; the page works without it)"
  fi
else
  step "wasm-opt: skipped (optional; none found or installed)"
fi
rm -rf "$OUT_DIR" && mv "$OUT_DIR.tmp" "$OUT_DIR"
size=$(wc -c < "$OUT_DIR/${OUT_NAME}_bg.wasm")
step "built $OUT_DIR/${OUT_NAME}_bg.wasm ($size bytes)"
