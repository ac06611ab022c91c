#!/usr/bin/env bash
# test-kernel.sh: runs vitest files on another Linux kernel, booted under qemu.
#
#   npm run test:kernel -- [-k PACKAGE|FILE.deb] [-t SECONDS] [-m MEMORY] [-s CPUS] [VITEST ARGS...]
#   npm run test:kernel -- -x COMMAND [ARGS...]     (any command instead of vitest, for debugging)
#
# The kernel is a Debian kernel image package (default: the newest of Debian 12's
# linux-image-6.1.0-*-amd64-unsigned; the -cloud flavour has no 9p), downloaded with
# `apt-get download` and unpacked, never installed. A busybox initramfs (kernel-guest-init.sh) mounts
# this machine's / read-only over virtio-9p under a tmpfs overlay, so the guest runs the node,
# compiler and built project of the host; vitest runs there in the repository with the arguments
# given (default: the whole suite). The script exits with vitest's status in the guest, or 125 when
# the guest never reported one (it crashed, or ran out of time).
#
# The addon, the TypeScript build and the C test helpers are built here first, natively, so the
# guest compiles nothing. Without KVM qemu emulates the CPU (TCG): spawning is 30-45x slower than
# on the host, so PP_TEST_TIME_SCALE (default 10) stretches the tests' own deadlines, and qemu runs
# under `nice -n 10`.
#
# Environment: PP_KERNEL_CACHE (downloads, unpacked kernels, initramfs and the guest's command
# files; default ~/.cache/private-process-kernel, outside build/, which node-gyp rebuild wipes),
# PP_TEST_TIME_SCALE, PP_KERNEL_ACCEL (default tcg,thread=multi,tb-size=1024).
# Needs: qemu-system-x86 (x86_64 hosts), busybox-static, kmod (depmod), cpio, dpkg-deb, apt-get.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
package='linux-image-6.1.0-*-amd64-unsigned'
limit=3600
memory=4G
cpus=2
command=(node_modules/.bin/vitest run)
while getopts k:t:m:s:x opt; do
  case $opt in
    k) package=$OPTARG ;;
    t) limit=$OPTARG ;;
    m) memory=$OPTARG ;;
    s) cpus=$OPTARG ;;
    x) command=() ;;
    *) sed -n '4p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift

say() { echo "test-kernel: $*" >&2; }
die() { say "$*"; exit 2; }

for tool in qemu-system-x86_64 busybox cpio depmod dpkg-deb apt-get; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (apt-get install qemu-system-x86 busybox-static kmod cpio)"
done
! ldd "$(command -v busybox)" >/dev/null 2>&1 || die "busybox is not static: apt-get install busybox-static"

cache=${PP_KERNEL_CACHE:-${XDG_CACHE_HOME:-${HOME:-$repo/build}/.cache}/private-process-kernel}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# 1. The kernel package: a .deb given by path, else the newest package matching the name.
if [ -f "$package" ]; then
  deb=$(cd "$(dirname "$package")" && pwd)/$(basename "$package")
else
  name=$(apt-cache pkgnames "${package%%\**}" 2>/dev/null | grep -x -- "$(sed 's/[.]/\\./g; s/\*/[0-9]*/g' <<<"$package")" |
    sort -V | tail -1 || true)
  [ -n "$name" ] || die "no package matches $package (apt-get update first?)"
  deb=$(find "$cache" -maxdepth 1 -name "${name}_*.deb" | sort -V | tail -1)
  if [ -z "$deb" ]; then
    say "downloading $name"
    (cd "$cache" && apt-get download -q "$name" >&2)
    deb=$(find "$cache" -maxdepth 1 -name "${name}_*.deb" | sort -V | tail -1)
  fi
fi
kdir=$cache/$(basename "$deb" .deb)
if [ ! -d "$kdir/boot" ]; then
  rm -rf "$kdir.part"
  dpkg-deb -x "$deb" "$kdir.part"
  mv "$kdir.part" "$kdir"
fi
kver=$(ls "$kdir/lib/modules" | head -1)
vmlinuz=$kdir/boot/vmlinuz-$kver
grep -q '^CONFIG_9P_FS=[my]' "$kdir/boot/config-$kver" ||
  die "$kver has no 9p file system (CONFIG_9P_FS): use a generic flavour, not -cloud"

# 2. The initramfs: static busybox, the modules for virtio-9p and overlayfs with their
#    dependencies, and the init script. One per version of the init script (named by its hash).
init=$repo/scripts/kernel-guest-init.sh
initrd=$kdir/initrd-$(sha256sum <"$init" | cut -c1-16).cpio.gz
if [ ! -s "$initrd" ]; then
  moddir=$kdir/lib/modules/$kver
  [ -s "$moddir/modules.dep" ] || depmod -b "$kdir" "$kver"
  stage=$(mktemp -d "$cache/initrd.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys} "$stage/lib/modules/$kver"
  cp "$(command -v busybox)" "$stage/bin/busybox"
  mknod "$stage/dev/console" c 5 1
  mknod "$stage/dev/null" c 1 3
  cp "$moddir"/modules.{dep,alias,builtin,order,symbols} "$stage/lib/modules/$kver/" 2>/dev/null || true
  for module in drivers/virtio/virtio_pci net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay; do
    entry=kernel/$module.ko
    for file in $entry $(grep "^$entry:" "$moddir/modules.dep" | cut -d: -f2); do
      mkdir -p "$stage/lib/modules/$kver/$(dirname "$file")"
      cp "$moddir/$file" "$stage/lib/modules/$kver/$file"
    done
  done
  install -m 755 "$init" "$stage/init"
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.part"
  mv "$initrd.part" "$initrd"
  rm -rf "$stage"
fi

# 3. Everything the guest runs is built here: the addon and TypeScript (npm install did both), and
#    the C test helpers, which vitest's global setup builds before the backend-table test.
cd "$repo"
[ -f build/Release/private_process.node ] || die "the addon is not built: run npm install first"
npm run --silent build:ts
node_modules/.bin/vitest run test/unit/backend-table.test.ts >/dev/null ||
  die "building the C test helpers failed: run npx vitest run test/unit/backend-table.test.ts"

# 4. The command file: the guest reads it through the share of /, so it must not be under /tmp or
#    /run (the guest mounts fresh ones). The repository has a share of its own (any path without
#    white space, which the kernel command line cannot carry).
case $cache in /tmp/* | /tmp | /run/* | /run) die "PP_KERNEL_CACHE must not be under /tmp or /run: the guest cannot see it" ;; esac
case $repo in *[[:space:]]*) die "the repository's path has white space, which the kernel command line cannot carry: $repo" ;; esac
run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
scale=${PP_TEST_TIME_SCALE:-10}
{
  echo "cd $(printf %q "$repo") || exit 254"
  echo "export PP_TEST_TIME_SCALE=$(printf %q "$scale")"
  printf 'exec'
  printf ' %q' "${command[@]}" "$@"
  echo
} >"$run/cmd.sh"

# 5. Boot. The console goes to this terminal and to a log; the status is read from the log.
log=$run/console.log
say "booting $kver (qemu $memory, $cpus CPUs, time scale $scale, limit ${limit}s)"
start=$(date +%s)
set +e
nice -n 10 timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
  -accel "${PP_KERNEL_ACCEL:-tcg,thread=multi,tb-size=1024}" -cpu max -m "$memory" -smp "$cpus" \
  -nographic -no-reboot -nic none -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 pp.cmd=$run/cmd.sh pp.repo=$repo" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$repo,mount_tag=hostrepo,security_model=none,readonly=on,multidevs=remap" \
  </dev/null 2>&1 | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
status=$(tr -d '\r' <"$log" | sed -n 's/^PP_GUEST_EXIT=\([0-9]*\)$/\1/p' | tail -1)
say "$kver: qemu exited $qemu_status, vitest status ${status:-none}, $(($(date +%s) - start)) s"
if [ -z "$status" ]; then
  [ "$qemu_status" = 124 ] && say "timed out after ${limit}s"
  exit 125
fi
exit "$status"
