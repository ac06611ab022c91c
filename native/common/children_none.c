/*
 * children_none.c - the host's children where the kernel cannot list them
 * cheaply (FreeBSD: a sysctl of the whole process table; macOS), for
 * host_sys.h. A wait for any child that finds only private children left
 * then waits for them instead of answering ECHILD at once.
 */
#include <errno.h>
#include <unistd.h>

#include "host_sys.h"

int pp_sys_each_child(int (*fn)(long pid, void *arg), void *arg) {
  (void)fn;
  (void)arg;
  return -1;
}

long pp_sys_pgid_of(long pid) {
  int saved = errno;
  long pgid = getpgid((pid_t)pid);
  errno = saved;
  return pgid;
}
