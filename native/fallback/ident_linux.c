/*
 * ident_linux.c - a child's identity on Linux: its /proc/PID directory.
 *
 * A descriptor of /proc/PID stays bound to the process it was opened for:
 * once that process has been reaped, lookups under it fail with ESRCH even
 * when the kernel has given the pid to another process. It works on every
 * kernel, pidfds or not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "ident.h"

int pp_fallback_ident_open(int pid) {
  char path[32];
  int saved = errno;
  snprintf(path, sizeof(path), "/proc/%d", pid);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  errno = saved;
  return fd;
}

int pp_fallback_ident_alive(int ident) {
  int saved = errno;
  int alive = faccessat(ident, "stat", F_OK, 0) == 0;
  errno = saved;
  return alive;
}
