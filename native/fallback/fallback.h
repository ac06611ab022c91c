/*
 * fallback.h - what the files of the fallback backend share.
 *
 * posix_spawn and the process-wide table: where the kernel gives no process
 * descriptor (or it is refused), a private child is only a pid that every
 * wait going through the table (the package's waitpid, the preload shim's
 * wait family) leaves alone. Without the shim, foreign native code that
 * calls the C library's waitpid(-1) directly can still reap it: the status
 * is then lost, and the handle says so (ERR_PRIVATE_STATUS_LOST).
 */
#ifndef PP_FALLBACK_H
#define PP_FALLBACK_H

#include "../common/backend.h"

/* pp_fallback_spawn starts the child with posix_spawn, inserting it under the table lock. */
int pp_fallback_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err);

/* pp_fallback_try_reap, pp_fallback_reap: the stash, else wait4 by pid under the lock. */
int pp_fallback_try_reap(pp_child *child, pp_status *st);
int pp_fallback_reap(pp_child *child, pp_status *st);

/* pp_fallback_signal signals the pid (or its group) only while it is still our unreaped child. */
int pp_fallback_signal(pp_child *child, int sig, int flags);

/* pp_fallback_release takes the child out of the table and drops its identity. */
void pp_fallback_release(pp_child *child);

/* pp_fallback_sys_wait4 is the kernel's wait4, never an interposed one. */
long pp_fallback_sys_wait4(int pid, int *wstatus, int options, void *ru);

#endif
