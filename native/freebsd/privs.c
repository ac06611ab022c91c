/*
 * privs.c - the least-privilege settings the FreeBSD backend gives a child:
 * resource limits, nice and CPU affinity, set between pdfork and execve
 * before the identity changes (raising a hard limit or the priority needs
 * privilege the new identity may not have), and no_new_privs (14.0; an
 * older kernel fails the spawn at that step). FreeBSD has no capability
 * sets and no cgroups: those stay refused.
 */
#include <errno.h>
#include <sys/param.h>
#include <sys/cpuset.h>
#include <sys/resource.h>
#include <unistd.h>

#include "freebsd.h"

/* RLIMIT_* of each pp_rlimit.resource (backend.h), -1 where FreeBSD has none. */
static const int privs_resources[] = {
    RLIMIT_CPU,
    RLIMIT_FSIZE,
    RLIMIT_DATA,
    RLIMIT_STACK,
    RLIMIT_CORE,
    RLIMIT_RSS,
    RLIMIT_NPROC,
    RLIMIT_NOFILE,
    RLIMIT_MEMLOCK,
    RLIMIT_AS,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
};

#define PRIVS_NRESOURCES ((int)(sizeof(privs_resources) / sizeof(privs_resources[0])))

/* The CPU mask as FreeBSD takes it; -EINVAL for a CPU beyond its CPU_SETSIZE. */
static int privs_cpus(const pp_privs *p, cpuset_t *mask) {
  const unsigned bits = 8 * sizeof(unsigned long);
  CPU_ZERO(mask);
  for (int cpu = 0; cpu < PP_MAX_CPUS; cpu++) {
    if (!(p->cpus[cpu / bits] & (1UL << (cpu % bits)))) continue;
    if (cpu >= CPU_SETSIZE) return -EINVAL;
    CPU_SET(cpu, mask);
  }
  return 0;
}

/* pp_freebsd_privs_supported tells whether FreeBSD has every setting of p (1) or not (0). */
int pp_freebsd_privs_supported(const pp_privs *p) {
  if (p->cgroup != NULL || (p->flags & (PP_PRIVS_AMBIENT | PP_PRIVS_BOUNDING))) return 0;
  for (int i = 0; i < p->nrlimits; i++) {
    int r = p->rlimits[i].resource;
    if (r < 0 || r >= PRIVS_NRESOURCES || privs_resources[r] < 0) return 0;
  }
  return 1;
}

/*
 * pp_freebsd_privs_check, before pdfork: -EPERM when a hard limit asked for
 * is above this process's and this process is not root, the only one the
 * kernel lets raise one (PRIV_PROC_SETRLIMIT): the child would be refused
 * the same. The child still sets each limit and fails closed on the rest.
 */
int pp_freebsd_privs_check(const pp_privs *p) {
  if (geteuid() == 0) return 0;
  for (int i = 0; i < p->nrlimits; i++) {
    struct rlimit now;
    if (getrlimit(privs_resources[p->rlimits[i].resource], &now) < 0) return -errno;
    uint64_t max = now.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)now.rlim_max;
    if (p->rlimits[i].hard > max) return -EPERM;
  }
  return 0;
}

/* pp_freebsd_privs_apply sets the limits, nice, CPU mask and no_new_privs in the child. */
int pp_freebsd_privs_apply(const pp_privs *p, int *step) {
  cpuset_t mask;
  *step = PP_STEP_RLIMITS;
  for (int i = 0; i < p->nrlimits; i++) {
    const pp_rlimit *l = &p->rlimits[i];
    struct rlimit rl = {l->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->soft,
                        l->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->hard};
    if (setrlimit(privs_resources[l->resource], &rl) < 0) return -errno;
  }
  *step = PP_STEP_NICE;
  if ((p->flags & PP_PRIVS_NICE) && setpriority(PRIO_PROCESS, 0, p->nice) < 0) return -errno;
  *step = PP_STEP_CPU_AFFINITY;
  if (p->flags & PP_PRIVS_CPU_AFFINITY) {
    int r = privs_cpus(p, &mask);
    if (r < 0) return r;
    if (cpuset_setaffinity(CPU_LEVEL_WHICH, CPU_WHICH_PID, -1, sizeof(mask), &mask) < 0)
      return -errno;
  }
  *step = PP_STEP_NO_NEW_PRIVS;
  int enable = PROC_NO_NEW_PRIVS_ENABLE;
  if ((p->flags & PP_PRIVS_NO_NEW_PRIVS) && procctl(P_PID, 0, PROC_NO_NEW_PRIVS_CTL, &enable) < 0)
    return -errno;
  return 0;
}
