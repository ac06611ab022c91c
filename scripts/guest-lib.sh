# guest-lib.sh: what the two kernel runners share, scripts/test-kernel.sh (x86-64, the host's own /)
# and scripts/test-arm64.sh (arm64, a Debian userland): a Debian kernel package downloaded and
# unpacked, an initramfs around guest-init.sh, the command file, the boot under qemu and its result.
#
# Sourced, not run. The runner sets guest_name (the prefix of its messages) and cache (its download
# folder) first, and guest_apt (apt-get options, a private configuration) when the kernel is not for
# this machine's architecture. The guest sees three read-only virtio-9p shares (guest-init.sh):
# pproot becomes its /, pprepo the project at the repository's own path, pprun the run folder with
# cmd.sh. Needs: busybox-static for the guest's architecture, kmod (depmod), cpio, dpkg-deb, apt-get.

guest_started=$(date +%s)
guest_apt=()

say() { echo "$guest_name: [$(($(date +%s) - guest_started))s] $*" >&2; }
die() {
  echo "$guest_name: $*" >&2
  exit 2
}

# guest_kernel DIR SPEC sets kdir, kver and vmlinuz to the kernel of SPEC: a .deb file, or a package
# name in which * stands for a number (the newest package that matches), downloaded once into DIR.
# The package is unpacked beside it with dpkg-deb -x, never installed.
guest_kernel() {
  local dir=$1 spec=$2 deb name pattern
  if [ -f "$spec" ]; then
    deb=$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")
  else
    pattern=$(sed 's/[.]/\\./g; s/\*/[0-9]*/g' <<<"$spec")
    name=$(apt-cache "${guest_apt[@]}" pkgnames "${spec%%\**}" 2>/dev/null | grep -x -- "$pattern" |
      sort -V | tail -1 || true)
    [ -n "$name" ] || die "no package matches $spec (apt-get update first?)"
    mkdir -p "$dir"
    deb=$(find "$dir" -maxdepth 1 -name "${name}_*.deb" | sort -V | tail -1)
    if [ -z "$deb" ]; then
      say "downloading $name"
      (cd "$dir" && apt-get "${guest_apt[@]}" download -q "$name" >&2) || die "apt-get download $name failed"
      deb=$(find "$dir" -maxdepth 1 -name "${name}_*.deb" | sort -V | tail -1)
    fi
  fi
  kdir=$(dirname "$deb")/$(basename "$deb" .deb)
  if [ ! -d "$kdir/boot" ]; then
    say "unpacking $(basename "$deb")"
    rm -rf "$kdir.part"
    dpkg-deb -x "$deb" "$kdir.part"
    mv "$kdir.part" "$kdir"
  fi
  kver=$(ls "$kdir/lib/modules" | head -1)
  vmlinuz=$kdir/boot/vmlinuz-$kver
  grep -q '^CONFIG_9P_FS=[my]' "$kdir/boot/config-$kver" ||
    die "$kver has no 9p file system (CONFIG_9P_FS): use a generic flavour, not -cloud"
  [ -s "$kdir/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir" "$kver"
}

# guest_initrd BUSYBOX sets initrd to the kernel's initramfs: BUSYBOX (static, for the guest's
# architecture), the modules for virtio-9p and overlayfs with their dependencies, and guest-init.sh
# as /init. It is rebuilt when either file changes.
guest_initrd() {
  local busybox=$1 init moddir stage module entry file
  init=$(dirname "${BASH_SOURCE[0]}")/guest-init.sh
  initrd=$kdir/initrd-$(cat "$init" "$busybox" | sha256sum | cut -c1-16).cpio.gz
  [ -s "$initrd" ] && return
  say "building the initramfs"
  moddir=$kdir/lib/modules/$kver
  stage=$(mktemp -d "$cache/initrd.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys} "$stage/lib/modules/$kver"
  cp "$busybox" "$stage/bin/busybox"
  mknod "$stage/dev/console" c 5 1
  mknod "$stage/dev/null" c 1 3
  cp "$moddir"/modules.{dep,alias,builtin,order,symbols} "$stage/lib/modules/$kver/" 2>/dev/null || true
  for module in drivers/virtio/virtio_pci net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay; do
    entry=kernel/$module.ko
    grep -q "^$entry:" "$moddir/modules.dep" || die "$kver has no $entry"
    for file in $entry $(grep "^$entry:" "$moddir/modules.dep" | cut -d: -f2); do
      mkdir -p "$stage/lib/modules/$kver/$(dirname "$file")"
      cp "$moddir/$file" "$stage/lib/modules/$kver/$file"
    done
  done
  install -m 755 "$init" "$stage/init"
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.part"
  rm -f "$kdir"/initrd-*.cpio.gz
  mv "$initrd.part" "$initrd"
  rm -rf "$stage"
}

# guest_run_folder sets run to a new folder in the cache, removed when the script ends (after
# stopping a guest still running, when it is interrupted), or kept when guest_keep is 1. Folders
# left by a run that was killed outright are removed after a day.
guest_run_folder() {
  find "$cache" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  run=$(mktemp -d "$cache/run.XXXXXX")
  trap guest_cleanup EXIT
  trap 'exit 130' INT TERM
}

guest_cleanup() {
  if [ -s "$run/qemu.pid" ] && kill "$(cat "$run/qemu.pid")" 2>/dev/null; then
    say "stopped the guest"
    sleep 2
  fi
  if [ "${guest_keep:-}" = 1 ]; then say "kept $run"; else rm -rf "$run"; fi
}

# guest_command SCALE PRELUDE COMMAND... writes $run/cmd.sh, which the guest runs in the repository:
# PP_TEST_TIME_SCALE set to SCALE, the shell lines PRELUDE, then COMMAND.
guest_command() {
  local scale=$1 prelude=$2
  shift 2
  {
    echo "cd $(printf %q "$repo") || exit 254"
    echo "export PP_TEST_TIME_SCALE=$(printf %q "$scale")"
    [ -z "$prelude" ] || echo "$prelude"
    printf 'exec'
    printf ' %q' "$@"
    echo
  } >"$run/cmd.sh"
}

# guest_boot LIMIT ROOT PROJECT CONSOLE QEMU... boots the kernel with ROOT as the guest's / and
# PROJECT at the repository's path, prints its console here (CONSOLE: the kernel's console device)
# and into $cache/console-last.log, stops it after LIMIT seconds, and exits with the status the
# guest reported (PP_GUEST_EXIT=), or 125 when it reported none (it crashed or ran out of time).
guest_boot() {
  local limit=$1 root=$2 project=$3 console=$4 log=$run/console.log boot qemu_status status share
  shift 4
  share=security_model=none,readonly=on,multidevs=remap
  case $repo in *[[:space:]]*) die "the repository's path has white space, which the kernel command line cannot carry: $repo" ;; esac
  boot=$(date +%s)
  # In the background, so that an interrupt reaches the trap (which stops qemu) at once.
  (
    set +e
    nice -n 10 timeout --foreground -k 10 "$limit" "$@" -nographic -no-reboot -nic none \
      -kernel "$vmlinuz" -initrd "$initrd" -append "console=$console panic=-1 quiet loglevel=3 pp.repo=$repo" \
      -virtfs "local,path=$root,mount_tag=pproot,$share" -virtfs "local,path=$project,mount_tag=pprepo,$share" \
      -virtfs "local,path=$run,mount_tag=pprun,$share" -pidfile "$run/qemu.pid" </dev/null 2>&1
    echo $? >"$run/qemu.status"
  ) | tee "$log" &
  wait $! || true
  qemu_status=$(cat "$run/qemu.status" 2>/dev/null || echo none)
  rm -f "$run/qemu.pid"
  cp "$log" "$cache/console-last.log"
  status=$(tr -d '\r' <"$log" | sed -n 's/^PP_GUEST_EXIT=\([0-9]*\)$/\1/p' | tail -1)
  say "$kver: qemu exited $qemu_status, the command's status ${status:-none}, guest $(($(date +%s) - boot)) s" \
    "(console log: $cache/console-last.log)"
  if [ -z "$status" ]; then
    [ "$qemu_status" = 124 ] && say "timed out after ${limit}s"
    exit 125
  fi
  exit "$status"
}
