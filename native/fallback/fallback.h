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

/*
 * How the event loop learns of a fallback child's exit, one way per kernel:
 * notify_sigchld.c (Linux: the loop's SIGCHLD watcher) or notify_kqueue.c
 * (macOS, FreeBSD: a kqueue EVFILT_PROC watch per child, the child's fd,
 * which also keeps the exit status when another reaper takes the child).
 *
 * pp_fallback_notify_arm starts watching a child just spawned, under the
 * table lock; a child that has already exited is left to the SIGCHLD
 * watcher. pp_fallback_notify_watch says how the loop waits for it.
 * pp_fallback_notify_recover gives the status of a child someone else
 * reaped, if the watch kept it: 0, else -ECHILD.
 * pp_fallback_notify_release closes what arm opened.
 */
void pp_fallback_notify_arm(pp_child *child);
int pp_fallback_notify_watch(const pp_child *child, int *fd);
int pp_fallback_notify_recover(pp_child *child, pp_status *st);
void pp_fallback_notify_release(pp_child *child);

#endif
