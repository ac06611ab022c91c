#!/usr/bin/env bash
# test-kernel.sh: runs vitest files on another Linux kernel, booted under qemu.
#
#   npm run test:kernel -- [-k PACKAGE|FILE.deb] [-t SECONDS] [-m MEMORY] [-s CPUS] [VITEST ARGS...]
#   npm run test:kernel -- -x COMMAND [ARGS...]     (any command instead of vitest, for debugging)
#
# The kernel is a Debian kernel image package (default: the newest of Debian 12's
# linux-image-6.1.0-*-amd64-unsigned; the -cloud flavour has no 9p), downloaded with
# `apt-get download` and unpacked, never installed. A busybox initramfs (guest-init.sh; both built
# by guest-lib.sh, which test-arm64.sh shares) mounts this machine's / read-only over virtio-9p under
# a tmpfs overlay, so the guest runs the node, compiler and built project of the host; vitest runs
# there in the repository with the arguments given (default: the whole suite). The script exits with
# vitest's status in the guest, or 125 when the guest never reported one (it crashed, or ran out of
# time). How long: the boot takes seconds; CI's kernel-sensitive files about 20 minutes.
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

here=$(cd "$(dirname "$0")" && pwd)
guest_name=test-kernel
. "$here/guest-lib.sh"

for tool in qemu-system-x86_64 busybox cpio depmod dpkg-deb apt-get; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (apt-get install qemu-system-x86 busybox-static kmod cpio)"
done
! ldd "$(command -v busybox)" >/dev/null 2>&1 || die "busybox is not static: apt-get install busybox-static"

cache=${PP_KERNEL_CACHE:-${XDG_CACHE_HOME:-${HOME:-$repo/build}/.cache}/private-process-kernel}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# 1. The kernel package: a .deb given by path, else the newest package matching the name.
guest_kernel "$cache" "$package"

# 2. The initramfs: this machine's static busybox and guest-init.sh, which mounts this machine's /
#    as the guest's.
guest_initrd "$(command -v busybox)"

# 3. Everything the guest runs is built here: the addon and TypeScript (npm install did both), and
#    the C test helpers, which vitest's global setup builds before the backend-table test.
cd "$repo"
[ -f build/Release/private_process.node ] || die "the addon is not built: run npm install first"
npm run --silent build:ts
node_modules/.bin/vitest run test/unit/backend-table.test.ts >/dev/null ||
  die "building the C test helpers failed: run npx vitest run test/unit/backend-table.test.ts"

# 4. The command file, in a run folder of the cache.
guest_run_folder
scale=${PP_TEST_TIME_SCALE:-10}
guest_command "$scale" "" "${command[@]}" "$@"

# 5. Boot. The console goes to this terminal and to a log; the status is read from the log.
say "booting $kver (qemu $memory, $cpus CPUs, time scale $scale, limit ${limit}s)"
guest_boot "$limit" / "$repo" ttyS0 qemu-system-x86_64 \
  -accel "${PP_KERNEL_ACCEL:-tcg,thread=multi,tb-size=1024}" -cpu max -m "$memory" -smp "$cpus"
