/*
 * freebsd.h - what the files of the FreeBSD backend share.
 *
 * pdfork gives a process descriptor: the only kernel-level privacy any
 * platform offers. The child sends no SIGCHLD and a wait for any child
 * skips it (kern_exit.c, proc_to_reap), while a wait for its own pid still
 * works; its pid is not recycled while the descriptor is open; pdkill
 * signals it; a kqueue EVFILT_PROCDESC NOTE_EXIT event carries its exit
 * status. The event loop polls one kqueue per child (a process descriptor
 * itself answers poll, but not the EVFILT_READ filter libuv registers):
 * the kqueue is the child's fd, the process descriptor its aux_fd.
 *
 * Every child is hidden: no wait of this process for any child can see it.
 * There is no direct isolation on this backend.
 *
 *   feature                      FreeBSD   used for
 *   pdfork, pdkill, pdgetpid     9.0       the child and its descriptor
 *   EVFILT_PROCDESC              9.0       the exit, and its status, on the loop
 *   PROC_PDEATHSIG_CTL           11.2      dieWithParent
 *   close_range                  12.2      no fd leaks into the child
 */
#ifndef PP_FREEBSD_H
#define PP_FREEBSD_H

#include "../common/backend.h"
#include "sys.h"

/* The most child fd slots a request may set up (the child keeps a copy). */
#define PP_FREEBSD_MAX_FDS 1024

/* pp_freebsd_report is what a child that failed before exec writes to its parent. */
typedef struct pp_freebsd_report {
  int err;  /* negative errno */
  int step; /* enum pp_step */
} pp_freebsd_report;

/*
 * pp_freebsd_child runs in the child between pdfork and execve; it never
 * returns. A failure is written to report_fd, which exec closes. parent is
 * the pid it checks is still its parent, with dieWithParent.
 */
__attribute__((noreturn)) void pp_freebsd_child(const pp_spawn_req *req, int report_fd,
                                                pid_t parent);

/* pp_freebsd_privs_supported (privs.c) is 1 when FreeBSD has every setting of p, else 0. */
int pp_freebsd_privs_supported(const pp_privs *p);

/*
 * pp_freebsd_privs_check (privs.c), before pdfork, refuses (-EPERM) a hard limit that a process
 * which is not root cannot raise.
 */
int pp_freebsd_privs_check(const pp_privs *p);

/*
 * pp_freebsd_privs_apply, in the child before its identity changes, sets
 * the resource limits, nice, the CPU mask and no_new_privs (which leaves
 * the identity change allowed); 0, or -errno with *step set.
 */
int pp_freebsd_privs_apply(const pp_privs *p, int *step);

/* pp_freebsd_probe checks that process descriptors and kqueue work here. */
int pp_freebsd_probe(pp_caps *caps, const char **reason);

/* pp_freebsd_spawn starts a child with pdfork, as backend.h describes. */
int pp_freebsd_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err);

/* pp_freebsd_try_reap, pp_freebsd_reap: wait for the pid, else the kqueue's status. */
int pp_freebsd_try_reap(pp_child *child, pp_status *st);
int pp_freebsd_reap(pp_child *child, pp_status *st);

/* pp_freebsd_watch tells the event loop to poll the child's kqueue. */
int pp_freebsd_watch(const pp_child *child, int *fd);

/* pp_freebsd_signal sends sig through pdkill, or to the child's process group while it is unreaped.
 */
int pp_freebsd_signal(pp_child *child, int sig, int flags);

/* pp_freebsd_release closes the kqueue and the process descriptor. */
void pp_freebsd_release(pp_child *child);

/* pp_freebsd_adopt: a child started elsewhere has no descriptor to adopt it with. */
int pp_freebsd_adopt(int pid, pp_child *child);

#endif
