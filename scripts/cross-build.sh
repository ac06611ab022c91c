#!/usr/bin/env bash
# cross-build.sh: compiles and links the native code for every platform with a native backend,
# against its real system headers and libraries, with warnings as errors; scripts/prebuild.sh makes
# the package's prebuilt binaries of them:
#
#   x86_64-linux-gnu.2.28, aarch64-linux-gnu.2.28, x86_64-linux-musl, aarch64-linux-musl
#                                     the addon: native/common, native/fallback, native/linux;
#                                     the preload shim; both stripped
#   x86_64-freebsd, aarch64-freebsd   the addon: native/common, native/fallback, native/freebsd; stripped
#   x86_64-macos, aarch64-macos       the addon: native/common, native/fallback, native/macos;
#                                     the preload shim as a dylib; both stripped
#
# The toolchain is zig's clang (pinned, installed from PyPI into build/cross/ when missing), which
# bundles glibc's headers and stub libraries of each release, musl, FreeBSD 14's libc headers and
# stub libraries and the macOS SDK's headers and libSystem stubs. Every link makes an undefined symbol an error (lld's -z defs; zig's Mach-O linker always
# does), and the script fails on any that the platform's system libraries do not export. The only
# ones allowed are what Node itself exports to addons, napi_* and libuv's uv_*, and, on FreeBSD,
# environ (defined by every executable's start-up code, crt1.o, not by libc). Node-API's headers
# come from the node-api-headers package, libuv's from the running Node's headers.
#
# Usage: scripts/cross-build.sh [target...]   (default: all eight; outputs in build/cross/<target>/)
set -euo pipefail
cd "$(dirname "$0")/.."

# Every target, in the order scripts/prebuild.sh copies them: Linux glibc (its symbols no newer than
# 2.28, the floor of Node 20's own Linux binaries), Linux musl, macOS, FreeBSD.
ALL_TARGETS=(x86_64-linux-gnu.2.28 aarch64-linux-gnu.2.28 x86_64-linux-musl aarch64-linux-musl
  x86_64-macos.10.15 aarch64-macos.11.0 x86_64-freebsd.14.0 aarch64-freebsd.14.0)
OUT=build/cross
ZIG=$(bash scripts/zig.sh "$OUT")
echo "cross-build: zig $("$ZIG" version)"

NAPI_INCLUDE=node_modules/node-api-headers/include
[ -f "$NAPI_INCLUDE/node_api.h" ] || { echo "cross-build: $NAPI_INCLUDE missing: run npm ci first" >&2; exit 1; }
UV_INCLUDE=$(node -e '
  const fs = require("fs"), os = require("os"), path = require("path");
  const dirs = [path.resolve(process.execPath, "..", "..", "include", "node"),
    path.join(os.homedir(), ".cache", "node-gyp", process.versions.node, "include", "node")];
  const found = dirs.find((d) => fs.existsSync(path.join(d, "uv.h")));
  if (!found) { console.error("cross-build: uv.h not found in " + dirs.join(", ")); process.exit(1); }
  console.log(found);')

CFLAGS=(-std=gnu11 -O2 -fno-sanitize=all -Wall -Wextra -Werror -fPIC -fvisibility=hidden
  -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=private_process -I"$NAPI_INCLUDE" -idirafter "$UV_INCLUDE")

# sources TARGET_NAME OS: the C sources binding.gyp gives that target on that OS (gyp's "OS"
# values: freebsd, mac), so that the lists live in one place.
sources() {
  node -e '
    const [name, os] = process.argv.slice(1);
    const text = require("fs").readFileSync("binding.gyp", "utf8").replace(/^\s*#.*$/gm, "");
    const target = JSON.parse(text).targets.find((t) => t.target_name === name);
    const holds = (cond) => {
      const m = /^OS(==|!=)\x27(\w+)\x27$/.exec(cond);
      if (!m) throw new Error("binding.gyp: a condition this script cannot read: " + cond);
      return (m[1] === "==") === (m[2] === os);
    };
    const out = [...target.sources];
    for (const [cond, then] of target.conditions ?? []) if (holds(cond)) out.push(...(then.sources ?? []));
    console.log(out.filter((f) => f.endsWith(".c")).join("\n"));' "$1" "$2"
}

# compile TARGET DIR SOURCE... -- EXTRA_FLAGS...: one object per source, in DIR; prints the objects.
compile() {
  local target=$1 dir=$2
  shift 2
  local sources=() extra=() obj
  while [ $# -gt 0 ] && [ "$1" != -- ]; do sources+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  extra=("$@")
  mkdir -p "$dir"
  for src in "${sources[@]}"; do
    obj=$dir/$(echo "$src" | tr / _).o
    "$ZIG" cc -target "$target" "${CFLAGS[@]}" "${extra[@]}" -c -o "$obj" "$src" >&2
    echo "$obj"
  done
}

# link TARGET OUTPUT ALLOWED STRICT_FLAG LOOSE_FLAGS OBJECT...: links OUTPUT with undefined symbols
# as errors, fails on any not matching the extended regex ALLOWED, then links it for real with
# LOOSE_FLAGS (words), letting the allowed ones be resolved at load time.
link() {
  local target=$1 output=$2 allowed=$3 strict=$4 loose=$5
  shift 5
  local log=$output.link.log
  if ! "$ZIG" cc -target "$target" -shared -o "$output" "$@" -lpthread ${strict:+"$strict"} >"$log" 2>&1; then
    if grep -v 'undefined symbol' "$log" | grep -q 'error:'; then
      cat "$log" >&2
      echo "cross-build: $target: $output failed to link" >&2
      return 1
    fi
  fi
  local undefined
  undefined=$( (grep -oE 'undefined symbol: [A-Za-z0-9_$.]+' "$log" || true) | sed 's/^undefined symbol: _\{0,1\}//' | sort -u)
  local disallowed
  disallowed=$(echo "$undefined" | grep -vE "^($allowed)" | grep -v '^$' || true)
  if [ -n "$disallowed" ]; then
    echo "cross-build: $target: $output needs symbols the system libraries do not export:" >&2
    echo "$disallowed" | sed 's/^/  /' >&2
    return 1
  fi
  local loose_flags=()
  read -ra loose_flags <<<"$loose"
  "$ZIG" cc -target "$target" -shared -o "$output" "$@" -lpthread "${loose_flags[@]}"
  echo "cross-build: $target: $output links; left to the loading process: $(echo "$undefined" | grep -c . || true) symbols ($allowed)"
}

# A failed compile stops the script: the object list goes through a file, not a subshell.
build_freebsd() {
  local target=$1 dir=$OUT/$1 objs srcs
  mkdir -p "$dir"
  mapfile -t srcs < <(sources private_process freebsd)
  compile "$target" "$dir/obj" "${srcs[@]}" -- -DPP_HAVE_FREEBSD=1 >"$dir/objs"
  mapfile -t objs <"$dir/objs"
  link "$target" "$dir/private_process.node" 'napi_|uv_|environ$' -Wl,-z,defs -s "${objs[@]}"
}

# Linux, glibc or musl: the addon and the preload shim. A glibc target names the oldest glibc whose
# symbols it may use (x86_64-linux-gnu.2.28: zig's stub libraries of that release), so that a symbol
# added later (close_range 2.34, pidfd_open 2.36) fails the link instead of the load.
build_linux() {
  local target=$1 dir=$OUT/$1 objs shim srcs
  mkdir -p "$dir"
  mapfile -t srcs < <(sources private_process linux)
  compile "$target" "$dir/obj" "${srcs[@]}" -- -DPP_HAVE_LINUX=1 >"$dir/objs"
  mapfile -t objs <"$dir/objs"
  link "$target" "$dir/private_process.node" 'napi_|uv_' -Wl,-z,defs -s "${objs[@]}"
  mapfile -t srcs < <(sources private_process_shim linux)
  compile "$target" "$dir/shim-obj" "${srcs[@]}" -- >"$dir/shim-objs"
  mapfile -t shim <"$dir/shim-objs"
  link "$target" "$dir/private_process_shim.so" '^$' -Wl,-z,defs -s "${shim[@]}" -ldl
}

build_macos() {
  local target=$1 dir=$OUT/$1 objs shim srcs
  mkdir -p "$dir"
  mapfile -t srcs < <(sources private_process mac)
  compile "$target" "$dir/obj" "${srcs[@]}" -- >"$dir/objs"
  mapfile -t objs <"$dir/objs"
  link "$target" "$dir/private_process.node" 'napi_|uv_' '' '-Wl,-undefined,dynamic_lookup -s' "${objs[@]}"
  mapfile -t srcs < <(sources private_process_shim mac)
  compile "$target" "$dir/shim-obj" "${srcs[@]}" -- >"$dir/shim-objs"
  mapfile -t shim <"$dir/shim-objs"
  link "$target" "$dir/private_process_shim.dylib" '^$' '' -s "${shim[@]}"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  case $t in
    *-linux-*) build_linux "$t" ;;
    *-freebsd*) build_freebsd "$t" ;;
    *-macos*) build_macos "$t" ;;
    *) echo "cross-build: unknown target $t" >&2; exit 1 ;;
  esac
done
echo "cross-build: ok"
