/*
 * host_wait.h - the host program's own waitpid, which never returns a
 * private child's status.
 */
#ifndef PP_HOST_WAIT_H
#define PP_HOST_WAIT_H

#include "backend.h"

/*
 * pp_host_waitpid reaps like waitpid(pid) (pid -1 any child, 0 or < -1 a
 * process group) but never a private child: one it finds exited is reaped
 * for its handle and the wait goes on. Returns 1 with *st filled, 0 when
 * nohang and nothing has exited, or -errno (-ECHILD when only private
 * children, or none, are left).
 */
int pp_host_waitpid(int pid, int nohang, pp_status *st);

#endif
