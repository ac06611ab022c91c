/*
 * privs.c - what a privileged helper keeps and gives up (pp_privs): set by
 * the child between clone and execve, around its change of identity.
 *
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   capget/capset, version 3        2.6.26   the permitted, effective, inheritable sets
 *   PR_CAPBSET_DROP                 2.6.25   capabilityBoundingSet
 *   PR_SET_KEEPCAPS                 2.2.18   the permitted set kept across setresuid
 *   prlimit64                       2.6.36   rlimits
 *   PR_SET_NO_NEW_PRIVS             3.5      noNewPrivileges
 *   PR_CAP_AMBIENT                  4.3      ambientCapabilities
 *
 * The child side shares the parent's memory and TLS: raw system calls
 * only, every failure returned as -errno with the step it belongs to.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/vfs.h>

/* RLIMIT_* of each pp_rlimit.resource: some architectures number them otherwise. */
static const int privs_resources[] = {
    RLIMIT_CPU,      RLIMIT_FSIZE,  RLIMIT_DATA,    RLIMIT_STACK,  RLIMIT_CORE,  RLIMIT_RSS,
    RLIMIT_NPROC,    RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS,     RLIMIT_LOCKS, RLIMIT_SIGPENDING,
    RLIMIT_MSGQUEUE, RLIMIT_NICE,   RLIMIT_RTPRIO,  RLIMIT_RTTIME,
};

/* The RLIMIT_* of limit l, or -1 for a resource number the package does not have. */
static int privs_resource(const pp_rlimit *l) {
  int n = (int)(sizeof(privs_resources) / sizeof(privs_resources[0]));
  return l->resource >= 0 && l->resource < n ? privs_resources[l->resource] : -1;
}

/* Fills a capget/capset pair of words from a mask of capability numbers. */
static void privs_words(uint64_t mask, uint32_t *low, uint32_t *high) {
  *low = (uint32_t)mask;
  *high = (uint32_t)(mask >> 32);
}

/*
 * Resource limits, nice and the CPU mask, set first: raising a hard limit
 * needs CAP_SYS_RESOURCE and a lower nice CAP_SYS_NICE, which the new
 * identity may not have. Then every capability outside the bounding set
 * leaves it, which needs CAP_SETPCAP; a kernel that knows fewer
 * capabilities than 64 says EINVAL past its last one.
 */
long pp_linux_privs_before(const pp_privs *p, int *step) {
  long r;
  *step = PP_STEP_RLIMITS;
  for (int i = 0; i < p->nrlimits; i++) {
    struct pp_rlimit64 lim = {p->rlimits[i].soft, p->rlimits[i].hard};
    int resource = privs_resource(&p->rlimits[i]);
    if (resource < 0) return -EINVAL;
    r = pp_sys4(SYS_prlimit64, 0, resource, &lim, NULL);
    if (r < 0) return r;
  }
  *step = PP_STEP_NICE;
  if ((p->flags & PP_PRIVS_NICE) && (r = pp_sys3(SYS_setpriority, PRIO_PROCESS, 0, p->nice)) < 0)
    return r;
  *step = PP_STEP_CPU_AFFINITY;
  if ((p->flags & PP_PRIVS_CPU_AFFINITY) &&
      (r = pp_sys3(SYS_sched_setaffinity, 0, sizeof(p->cpus), p->cpus)) < 0)
    return r;
  *step = PP_STEP_BOUNDING_SET;
  if (p->flags & PP_PRIVS_BOUNDING) {
    for (int cap = 0; cap < 64; cap++) {
      if (p->bounding & (1ULL << cap)) continue;
      r = pp_sys2(SYS_prctl, PR_CAPBSET_DROP, cap);
      if (r == -EINVAL) break;
      if (r < 0) return r;
    }
  }
  return 0;
}

/*
 * Keeps the permitted set across the uid change that follows, so that the
 * ambient capabilities are still there to keep (the kernel clears the
 * permitted and ambient sets when the last root id goes, unless asked).
 * execve resets the flag.
 */
long pp_linux_privs_keep(const pp_privs *p) {
  if (!(p->flags & PP_PRIVS_AMBIENT)) return 0;
  return pp_sys2(SYS_prctl, PR_SET_KEEPCAPS, 1);
}

/*
 * After the identity: the permitted, effective and inheritable sets become
 * exactly the ambient capabilities, which are raised into the ambient set
 * (it needs each in the permitted and inheritable sets), so that execve
 * grants them to the program whatever its uid; then no_new_privs.
 */
long pp_linux_privs_after(const pp_privs *p, int *step) {
  long r;
  *step = PP_STEP_CAPS;
  if (p->flags & PP_PRIVS_AMBIENT) {
    struct pp_cap_header head = {PP_CAP_VERSION_3, 0};
    struct pp_cap_data data[2];
    privs_words(p->ambient, &data[0].permitted, &data[1].permitted);
    for (int i = 0; i < 2; i++) data[i].effective = data[i].inheritable = data[i].permitted;
    r = pp_sys2(SYS_capset, &head, data);
    if (r < 0) return r;
    r = pp_sys5(SYS_prctl, PP_PR_CAP_AMBIENT, PP_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap < 64 && r >= 0; cap++) {
      if (p->ambient & (1ULL << cap))
        r = pp_sys5(SYS_prctl, PP_PR_CAP_AMBIENT, PP_PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
    if (r < 0) return r;
  }
  *step = PP_STEP_NO_NEW_PRIVS;
  if ((p->flags & PP_PRIVS_NO_NEW_PRIVS) &&
      (r = pp_sys5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0)
    return r;
  return 0;
}

/* The capability that lets a process raise its hard limits (linux/capability.h). */
#define PRIVS_CAP_SYS_RESOURCE 24

/* 1 when this thread's effective set holds capability cap. */
static int privs_effective(const struct pp_cap_data data[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

/*
 * pp_linux_privs_check runs in the spawning thread before anything is
 * started, with the rights the child starts with: -EPERM at step
 * capabilities when an ambient capability asked for is not in this
 * thread's permitted set or bounding set, since the child could not keep
 * what it never had; -EPERM at step rlimits when a hard limit asked for is
 * above this process's and this thread lacks CAP_SYS_RESOURCE, which the
 * child would be refused for the same reason. The child still sets each
 * limit itself and fails closed on whatever else the kernel refuses (a
 * capability held in a user namespace only, nofile above fs.nr_open).
 */
int pp_linux_privs_check(const pp_privs *p, int *step) {
  struct pp_cap_header head = {PP_CAP_VERSION_3, 0};
  struct pp_cap_data data[2];
  if (p == NULL || (!(p->flags & PP_PRIVS_AMBIENT) && p->nrlimits == 0)) return 0;
  *step = PP_STEP_CAPS;
  long r = pp_sys2(SYS_capget, &head, data);
  if (r < 0) return (int)r;
  uint64_t permitted = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
  if ((p->ambient & permitted) != p->ambient) return -EPERM;
  for (int cap = 0; cap < 64; cap++) {
    if ((p->ambient & (1ULL << cap)) && pp_sys2(SYS_prctl, PR_CAPBSET_READ, cap) != 1)
      return -EPERM;
  }
  *step = PP_STEP_RLIMITS;
  if (privs_effective(data, PRIVS_CAP_SYS_RESOURCE)) return 0;
  for (int i = 0; i < p->nrlimits; i++) {
    struct pp_rlimit64 now;
    int resource = privs_resource(&p->rlimits[i]);
    if (resource < 0) return -EINVAL;
    r = pp_sys4(SYS_prlimit64, 0, resource, NULL, &now);
    if (r < 0) return (int)r;
    if (p->rlimits[i].hard > now.max) return -EPERM;
  }
  return 0;
}

/* pp_linux_cgroup_open opens a cgroup v2 directory and its cgroup.procs, before the spawn. */
int pp_linux_cgroup_open(const char *path, int *dir, int *procs) {
  struct statfs fs;
  *dir = *procs = -1;
  long fd = pp_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return (int)fd;
  /* A cgroup v1 directory has a cgroup.procs too, but clone3 cannot start a child there. */
  long r = fstatfs((int)fd, &fs) < 0 ? -errno : 0;
  if (r == 0 && fs.f_type != PP_CGROUP2_SUPER_MAGIC) r = -EINVAL;
  if (r == 0) r = pp_sys4(SYS_openat, fd, "cgroup.procs", O_WRONLY | O_CLOEXEC, 0);
  if (r < 0) {
    pp_sys1(SYS_close, fd);
    return (int)r;
  }
  *dir = (int)fd;
  *procs = (int)r;
  return 0;
}
