/*
 * sys/cpuset.h, emulated on Linux: cpuset_setaffinity of the calling
 * process as sched_setaffinity, over glibc's cpu_set_t, whose CPU_ZERO,
 * CPU_SET and CPU_SETSIZE read as FreeBSD's. See ../../emulation.c.
 */
#ifndef PP_EMU_SYS_CPUSET_H
#define PP_EMU_SYS_CPUSET_H

#include <sched.h>
#include <sys/types.h>

typedef cpu_set_t cpuset_t;
typedef int cpulevel_t;
typedef int cpuwhich_t;

#define CPU_LEVEL_WHICH 3
#define CPU_WHICH_PID 2

int cpuset_setaffinity(cpulevel_t level, cpuwhich_t which, id_t id, size_t size,
                       const cpuset_t *mask);

#endif
