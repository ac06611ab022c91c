#!/bin/busybox sh
# kernel-guest-init.sh: PID 1 of the test kernel's initramfs (see test-kernel.sh).
#
# Loads the virtio, 9p and overlay modules, mounts the host's / (shared read-only over virtio-9p)
# under a tmpfs overlay so the guest can write without touching the host, and the repository
# (pp.repo=, shared on its own) the same way at its path, chroots into it and runs
# the command file named by pp.cmd= on the kernel command line. It prints PP_GUEST_EXIT=<status>
# for the runner to read, then powers the machine off.
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

echo "PP_GUEST_KERNEL $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s"
for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe "$m" || fail "modprobe $m"; done

cmd=
repo=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    pp.cmd=*) cmd="${arg#pp.cmd=}" ;;
    pp.repo=*) repo="${arg#pp.repo=}" ;;
  esac
done
[ -n "$cmd" ] || fail "no pp.cmd= on the kernel command line"
[ -n "$repo" ] || fail "no pp.repo= on the kernel command line"

mkdir -p /host /rw /root
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host || fail "mount 9p"
mount -t tmpfs -o size=75%,mode=755 rw /rw || fail "mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /root || fail "mount overlay"

r=/root
mount -t proc proc $r/proc
mount -t sysfs sys $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs shm $r/dev/shm
mount -t cgroup2 cgroup2 $r/sys/fs/cgroup 2>/dev/null
# The host's runtime state means nothing here: a fresh /run and /tmp.
mount -t tmpfs run $r/run
mount -t tmpfs tmp $r/tmp
# The repository comes through a share of its own, at its own path, under an overlay too: a clone
# under /tmp or /run would otherwise be hidden by the fresh ones.
mkdir -p /repo /rw/repo-upper /rw/repo-work "$r$repo"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostrepo /repo || fail "mount 9p repo"
mount -t overlay -o lowerdir=/repo,upperdir=/rw/repo-upper,workdir=/rw/repo-work overlay "$r$repo" ||
  fail "mount overlay repo"

echo "PP_GUEST_START up $(cut -d' ' -f1 /proc/uptime)s"
# In a session and a process group of its own, as a login or a service manager would start it: a
# descendant of PID 1 that never called setsid has process group 0, which no real program has.
setsid chroot $r /usr/bin/env -i HOME=/root TERM=dumb CI=true NO_COLOR=1 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh "$cmd" </dev/null
status=$?
echo "PP_GUEST_END up $(cut -d' ' -f1 /proc/uptime)s"
echo "PP_GUEST_EXIT=$status"
sync
poweroff -f
sleep 10
