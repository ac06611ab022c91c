/*
 * wait.c - the fallback backend's reaping and signalling, by pid.
 *
 * A pid is only safe to use while it names our unreaped child. The table
 * guarantees that against every wait that goes through it; against a
 * foreign wait that does not (no shim), each use checks under the table
 * lock that the child whose identity was taken at spawn (ident.h) has not
 * been reaped: the pid may since name another child of ours. What is left
 * is the instant between that check and the system call that follows.
 */
#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/host_sys.h"
#include "../common/table.h"
#include "ident.h"

static long fallback_sys_waitid(int pid, siginfo_t *info, int options) {
  return pp_sys_waitid(P_PID, (id_t)pid, info, options, NULL);
}

/* 1 while the pid still names the child spawned (its identity has not been reaped). */
static int fallback_still_ours(const pp_child *child) {
  return child->in_table && (child->aux_fd < 0 || pp_fallback_ident_alive(child->aux_fd));
}

int pp_fallback_try_reap(pp_child *child, pp_status *st) {
  struct rusage ru;
  pp_sigmask saved;
  int wstatus = 0, r;
  pp_table_lock(&saved);
  if (child->stashed) {
    *st = child->stash;
    child->stashed = 0;
    r = 0;
  } else if (!fallback_still_ours(child)) {
    /* Reaped by a wait that bypassed the table: the status is gone, unless the exit watch kept it.
     */
    pp_table_remove_locked(child);
    r = pp_fallback_notify_recover(child, st);
  } else {
    memset(&ru, 0, sizeof(ru));
    long got = pp_sys_wait4(child->pid, &wstatus, WNOHANG, &ru);
    if (got == child->pid) {
      pp_table_remove_locked(child);
      pp_status_from_wait(st, child->pid, wstatus);
      pp_status_rusage(st, &ru);
      r = 0;
    } else if (got == 0) {
      r = -EAGAIN;
    } else {
      pp_table_remove_locked(child);
      r = got == -ECHILD ? pp_fallback_notify_recover(child, st) : (int)got;
    }
  }
  pp_table_unlock(&saved);
  return r;
}

int pp_fallback_reap(pp_child *child, pp_status *st) {
  for (;;) {
    int r = pp_fallback_try_reap(child, st);
    if (r != -EAGAIN) return r;
    /* Block until it has exited, leaving it for the locked reap. */
    siginfo_t info;
    long b = fallback_sys_waitid(child->pid, &info, WEXITED | WNOWAIT);
    if (b < 0 && b != -EINTR && b != -ECHILD) return (int)b;
  }
}

int pp_fallback_signal(pp_child *child, int sig, int flags) {
  siginfo_t info;
  pp_sigmask saved;
  int r = -ESRCH;
  pp_table_lock(&saved);
  /* Still our unreaped child (running or a zombie): its pid, and its group's, are its own. */
  if (fallback_still_ours(child) &&
      fallback_sys_waitid(child->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    r = kill((flags & PP_SIGNAL_GROUP) ? -child->pid : child->pid, sig) == 0 ? 0 : -errno;
  }
  pp_table_unlock(&saved);
  return r;
}

void pp_fallback_release(pp_child *child) {
  pp_sigmask saved;
  pp_table_lock(&saved);
  pp_table_remove_locked(child);
  pp_table_unlock(&saved);
  if (child->aux_fd >= 0) close(child->aux_fd);
  child->aux_fd = -1;
  pp_fallback_notify_release(child);
}
