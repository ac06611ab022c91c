/*
 * host_wait.h - the host program's own waitpid, which never returns a
 * private child's status, and the stdio plumbing of a spawn.
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

/* The stdio kinds a spawn request gives per child slot, besides fd numbers. */
#define PP_STDIO_PIPE (-1)
#define PP_STDIO_IGNORE (-2)
#define PP_STDIO_NONE (-3)

/*
 * pp_stdio_open makes the descriptors for n slots: child_fds[i] for the
 * child, parent_fds[i] for the parent's end of a pipe (else -1). Returns 0
 * or -errno with everything it opened closed again.
 */
int pp_stdio_open(const int *spec, int n, int *child_fds, int *parent_fds);

/* pp_stdio_close_child closes the child's ends once the child has them. */
void pp_stdio_close_child(const int *spec, int n, const int *child_fds);

/* pp_stdio_close_parent closes the parent's ends after a failed spawn. */
void pp_stdio_close_parent(int n, int *parent_fds);

#endif
