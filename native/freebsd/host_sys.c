/*
 * host_sys.c - the host's system calls on FreeBSD: wait6 gives waitid's
 * information and the child's usage at once. No shim is built for FreeBSD,
 * so the C library's waits are the kernel's. Its children are not
 * listed (children_none.c): a pdfork child is never seen by a wait for any
 * child anyway.
 */
#include "../common/host_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

long pp_sys_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru) {
  struct __wrusage wru;
  int saved = errno, wstatus;
  memset(&wru, 0, sizeof(wru));
  long r = wait6(type, id, &wstatus, options, &wru, info);
  if (r < 0) r = -errno;
  if (r == 0) info->si_pid = 0;
  if (r >= 0 && ru != NULL) *ru = wru.wru_self;
  errno = saved;
  return r < 0 ? r : 0;
}

long pp_sys_wait4(int pid, int *wstatus, int options, struct rusage *ru) {
  int saved = errno;
  long r = wait4(pid, wstatus, options, ru);
  if (r < 0) r = -errno;
  errno = saved;
  return r;
}
