#!/usr/bin/env bash
# prebuild.sh: the prebuilt binaries the package carries, so that installing it needs no compiler.
# `npm pack` and `npm publish` run it (prepack). It cross-builds the addon and its preload shim for
# every platform with a native backend (scripts/cross-build.sh: zig's clang, each binary's undefined
# symbols checked against what its platform exports) and puts them where node-gyp-build looks:
#
#   prebuilds/<platform>-<arch>/node.napi.<libc>.node        the addon (Node-API, any Node >= 20)
#   prebuilds/<platform>-<arch>/private_process_shim.<libc>.so   its shim (.dylib on macOS; none
#                                                            on FreeBSD, which needs none)
#
# node-gyp-build takes libc to be musl on Alpine and glibc everywhere else, macOS and FreeBSD
# included, so those are tagged glibc. scripts/check-prebuilds.cjs checks the result.
#
# Usage: scripts/prebuild.sh   (replaces prebuilds/)
set -euo pipefail
cd "$(dirname "$0")/.."

# zig target, node-gyp-build's folder, libc tag
TARGETS=(
  "x86_64-linux-gnu.2.28 linux-x64 glibc"
  "aarch64-linux-gnu.2.28 linux-arm64 glibc"
  "x86_64-linux-musl linux-x64 musl"
  "aarch64-linux-musl linux-arm64 musl"
  "x86_64-macos.10.15 darwin-x64 glibc"
  "aarch64-macos.11.0 darwin-arm64 glibc"
  "x86_64-freebsd.14.0 freebsd-x64 glibc"
  "aarch64-freebsd.14.0 freebsd-arm64 glibc"
)

zig_targets=()
for t in "${TARGETS[@]}"; do zig_targets+=("${t%% *}"); done
bash scripts/cross-build.sh "${zig_targets[@]}"

rm -rf prebuilds
for t in "${TARGETS[@]}"; do
  read -r target folder libc <<<"$t"
  mkdir -p "prebuilds/$folder"
  cp "build/cross/$target/private_process.node" "prebuilds/$folder/node.napi.$libc.node"
  for shim in "build/cross/$target"/private_process_shim.*; do
    [ -e "$shim" ] || continue
    case $shim in *.log) continue ;; esac
    cp "$shim" "prebuilds/$folder/private_process_shim.$libc.${shim##*.}"
  done
done
node scripts/check-prebuilds.cjs
