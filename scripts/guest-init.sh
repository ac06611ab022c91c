#!/bin/busybox sh
# guest-init.sh: PID 1 of the kernel runners' initramfs (scripts/guest-lib.sh builds it, for
# test-kernel.sh and test-arm64.sh alike).
#
# Loads the virtio, 9p and overlay modules, then builds the guest's root from three read-only
# virtio-9p shares, the first two each under a tmpfs overlay so the guest can write without touching
# the host:
#   pproot   the guest's / (the host's own / for test-kernel.sh, an arm64 userland for test-arm64.sh)
#   pprepo   the project, mounted at the path pp.repo= on the kernel command line names (after the
#            fresh /tmp and /run, which could otherwise hide it)
#   pprun    the run's folder, with cmd.sh, the command to run in the project
# It runs cmd.sh in a chroot, under setsid, prints PP_GUEST_EXIT=<status> for the runner to read,
# then powers the machine off.
/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null

fail() {
  echo "PP_GUEST_FAIL: $*"
  echo "PP_GUEST_EXIT=255"
  poweroff -f
  sleep 10
}

echo "PP_GUEST_KERNEL $(uname -r) $(uname -m), $(grep -c ^processor /proc/cpuinfo) CPUs, up $(cut -d' ' -f1 /proc/uptime)s"
for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe "$m" || fail "modprobe $m"; done

repo=
for arg in $(cat /proc/cmdline); do
  case "$arg" in pp.repo=*) repo="${arg#pp.repo=}" ;; esac
done
[ -n "$repo" ] || fail "no pp.repo= on the kernel command line"

opts=trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose
mkdir -p /mnt/root /mnt/repo /mnt/run /rw /newroot
mount -t 9p -o "$opts" pproot /mnt/root || fail "mount 9p pproot"
mount -t 9p -o "$opts" pprepo /mnt/repo || fail "mount 9p pprepo"
mount -t 9p -o "$opts" pprun /mnt/run || fail "mount 9p pprun"
[ -f /mnt/run/cmd.sh ] || fail "no cmd.sh in the run's folder"
mount -t tmpfs -o size=75%,mode=755 rw /rw || fail "mount tmpfs"
mkdir -p /rw/root-upper /rw/root-work /rw/repo-upper /rw/repo-work
mount -t overlay -o lowerdir=/mnt/root,upperdir=/rw/root-upper,workdir=/rw/root-work overlay /newroot ||
  fail "mount overlay /"

r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sys $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 shm $r/dev/shm
mount -t cgroup2 cgroup2 $r/sys/fs/cgroup 2>/dev/null
# The host's runtime state means nothing here: a fresh /run and /tmp.
mount -t tmpfs -o mode=755 run $r/run
mount -t tmpfs -o mode=1777 tmp $r/tmp
mkdir -p "$r$repo"
mount -t overlay -o lowerdir=/mnt/repo,upperdir=/rw/repo-upper,workdir=/rw/repo-work overlay "$r$repo" ||
  fail "mount overlay $repo"
cp /mnt/run/cmd.sh $r/run/pp-cmd.sh || fail "copy cmd.sh"
ifconfig lo 127.0.0.1 up 2>/dev/null
hostname pp-guest

echo "PP_GUEST_START up $(cut -d' ' -f1 /proc/uptime)s"
# In a session and a process group of its own, as a login or a service manager would start it: a
# descendant of PID 1 that never called setsid has process group 0, which no real program has.
setsid chroot $r /usr/bin/env -i HOME=/root TERM=dumb CI=true NO_COLOR=1 LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /run/pp-cmd.sh </dev/null
status=$?
echo "PP_GUEST_END up $(cut -d' ' -f1 /proc/uptime)s"
echo "PP_GUEST_EXIT=$status"
sync
poweroff -f
sleep 10
