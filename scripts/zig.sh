#!/usr/bin/env bash
# zig.sh DIR: prints the path of zig's binary, the pinned release installed from PyPI (the ziglang
# package) into DIR/zig-<version> when it is not there yet. scripts/cross-build.sh builds the
# prebuilds with it, scripts/test-arm64.sh the arm64 test helpers.
set -euo pipefail
ZIG_VERSION=0.15.2
dir=$1/zig-$ZIG_VERSION
if [ ! -x "$dir/ziglang/zig" ]; then
  echo "zig.sh: installing ziglang==$ZIG_VERSION from PyPI into $dir" >&2
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --target "$dir" "ziglang==$ZIG_VERSION" >&2
fi
echo "$dir/ziglang/zig"
