# Sourced by the scripts: picks the cargo that builds native code. rustup's when
# there is one (the machine's toolchain), else Debian's with its own rustc.
if command -v cargo >/dev/null 2>&1; then
  HOST_CARGO=cargo
elif [ -x "$HOME/.cargo/bin/cargo" ]; then
  HOST_CARGO="$HOME/.cargo/bin/cargo"
elif [ -x /usr/bin/cargo ]; then
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  HOST_CARGO=/usr/bin/cargo
else
  echo "no cargo found: install Rust (https://rustup.rs) or Debian's cargo" >&2
  exit 1
fi
