/*
 * wait.c - the fallback backend's reaping and signalling, by pid.
 *
 * A pid is only safe to use while it names our unreaped child. The table
 * guarantees that against every wait that goes through it; against a
 * foreign wait that does not (no shim), each use checks under the table
 * lock, with the kernel, that the pid is still an unreaped child of ours.
 */
#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/table.h"

/* Raw system calls: with the shim loaded, the C library's names lead to it. */
static long fallback_sys(long r) {
  return r < 0 ? -errno : r;
}

long pp_fallback_sys_wait4(int pid, int *wstatus, int options, void *ru) {
  int saved = errno;
  long r = fallback_sys(syscall(SYS_wait4, pid, wstatus, options, ru));
  errno = saved;
  return r;
}

static long fallback_sys_waitid(int pid, siginfo_t *info, int options) {
  int saved = errno;
  long r = fallback_sys(syscall(SYS_waitid, P_PID, pid, info, options, NULL));
  errno = saved;
  return r;
}

static void fallback_fill(pp_status *st, int pid, int wstatus, const struct rusage *ru) {
  pp_status_from_wait(st, pid, wstatus);
  st->has_rusage = 1;
  st->utime_us = (int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
  st->stime_us = (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
  st->maxrss_kb = ru->ru_maxrss;
}

int pp_fallback_try_reap(pp_child *child, pp_status *st) {
  struct rusage ru;
  sigset_t saved;
  int wstatus = 0, r;
  pp_table_lock(&saved);
  if (child->stashed) {
    *st = child->stash;
    child->stashed = 0;
    r = 0;
  } else if (!child->in_table) {
    r = -ECHILD;
  } else {
    memset(&ru, 0, sizeof(ru));
    long got = pp_fallback_sys_wait4(child->pid, &wstatus, WNOHANG, &ru);
    if (got == child->pid) {
      pp_table_remove_locked(child);
      fallback_fill(st, child->pid, wstatus, &ru);
      r = 0;
    } else if (got == 0) {
      r = -EAGAIN;
    } else {
      /* Reaped by a wait that bypassed the table: the status is gone. */
      pp_table_remove_locked(child);
      r = (int)got;
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

int pp_fallback_signal(pp_child *child, int sig) {
  siginfo_t info;
  sigset_t saved;
  int r = -ESRCH;
  pp_table_lock(&saved);
  /* Still our unreaped child (running or a zombie): its pid cannot have been reused. */
  if (child->in_table && fallback_sys_waitid(child->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    r = kill(child->pid, sig) == 0 ? 0 : -errno;
  }
  pp_table_unlock(&saved);
  return r;
}

void pp_fallback_release(pp_child *child) {
  sigset_t saved;
  pp_table_lock(&saved);
  pp_table_remove_locked(child);
  pp_table_unlock(&saved);
}
