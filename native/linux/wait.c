/*
 * wait.c - reaping and signalling through the pidfd, and theft recovery.
 *
 * The pidfd is polled by the event loop; when it is readable the child is
 * reaped with the raw waitid(P_PIDFD), which also gives its rusage. When
 * waitid answers ECHILD some other code in the process reaped the child
 * first (a waitpid(-1) that knows nothing of us). Its status is then read
 * from the status our own waitpid() stashed, else from the kernel's copy
 * (PIDFD_GET_INFO with PIDFD_INFO_EXIT, 6.15), else it is lost: the caller
 * says so instead of hanging.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../common/table.h"

/* How long recovery waits for a thief to finish releasing the child. */
#define LINUX_RELEASE_WAIT_MS 2000

static void linux_fill_rusage(pp_status *st, const struct rusage *ru) {
  st->has_rusage = 1;
  st->utime_us = (int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
  st->stime_us = (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
  st->maxrss_kb = ru->ru_maxrss;
}

/* A reaped child leaves the table at once: its pid may be reused from now on. */
static void linux_forget(pp_child *child) {
  sigset_t saved;
  pp_table_lock(&saved);
  pp_table_remove_locked(child);
  pp_table_unlock(&saved);
}

/*
 * The kernel records the exit for PIDFD_GET_INFO in release_task() before it
 * unhashes the task, and the pidfd reports POLLHUP once the task is unhashed.
 * A thief's waitid may still be between the two when ours says ECHILD, so
 * wait for POLLHUP before asking.
 */
static void linux_wait_released(int pidfd) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int waited = 0; waited < LINUX_RELEASE_WAIT_MS; waited += 10) {
    long r = pp_sys5(SYS_ppoll, &p, 1, &tick, NULL, 0);
    if (r > 0 && (p.revents & POLLHUP)) return;
  }
}

static int linux_recover(pp_child *child, pp_status *st) {
  struct pp_pidfd_info info = {.mask = PP_PIDFD_INFO_EXIT};
  linux_wait_released(child->fd);
  linux_forget(child);
  if (pp_table_take_stash(child, st) == 0) return 0;
  if (pp_sys3(SYS_ioctl, child->fd, PP_PIDFD_GET_INFO, &info) == 0 &&
      (info.mask & PP_PIDFD_INFO_EXIT)) {
    pp_status_from_wait(st, child->pid, info.exit_code);
    return 0;
  }
  return -ECHILD;
}

static int linux_wait(pp_child *child, pp_status *st) {
  siginfo_t info;
  struct rusage ru;
  long r;
  do {
    info.si_pid = 0;
    r = pp_sys5(SYS_waitid, PP_P_PIDFD, child->fd, &info, WEXITED | WNOHANG, &ru);
  } while (r == -EINTR);
  if (r == -ECHILD) return linux_recover(child, st);
  if (r < 0) return (int)r;
  if (info.si_pid == 0) return -EAGAIN;
  linux_forget(child);
  st->pid = info.si_pid;
  st->code = info.si_code;
  st->status = info.si_status;
  linux_fill_rusage(st, &ru);
  return 0;
}

int pp_linux_try_reap(pp_child *child, pp_status *st) {
  if (pp_table_take_stash(child, st) == 0) return 0;
  return linux_wait(child, st);
}

/*
 * The event loop made the pidfd non-blocking, and waitid on a non-blocking
 * pidfd never blocks: block in poll until the child has exited instead.
 */
int pp_linux_reap(pp_child *child, pp_status *st) {
  for (;;) {
    int r = pp_linux_try_reap(child, st);
    if (r != -EAGAIN) return r;
    struct pollfd p = {.fd = child->fd, .events = POLLIN};
    r = (int)pp_sys5(SYS_ppoll, &p, 1, NULL, NULL, 0);
    if (r < 0 && r != -EINTR) return r;
  }
}

int pp_linux_watch(const pp_child *child, int *fd) {
  *fd = child->fd;
  return PP_WATCH_FD;
}

int pp_linux_signal(pp_child *child, int sig) {
  return (int)pp_sys4(SYS_pidfd_send_signal, child->fd, sig, NULL, 0);
}

void pp_linux_release(pp_child *child) {
  linux_forget(child);
  if (child->fd >= 0) pp_sys1(SYS_close, child->fd);
  child->fd = -1;
}

/*
 * A pid names our child only until someone reaps it: check, through the
 * pidfd itself, that it is still an unreaped child of this process, so the
 * pidfd cannot belong to a stranger that reused the number.
 */
int pp_linux_adopt(int pid, pp_child *child) {
  siginfo_t info;
  sigset_t saved;
  long fd = pp_sys2(SYS_pidfd_open, pid, 0);
  if (fd < 0) return (int)fd;
  long r = pp_sys5(SYS_waitid, PP_P_PIDFD, fd, &info, WEXITED | WNOHANG | WNOWAIT, NULL);
  if (r < 0) {
    pp_sys1(SYS_close, fd);
    return (int)r;
  }
  child->pid = pid;
  child->fd = (int)fd;
  child->backend = &pp_linux_backend;
  pp_table_lock(&saved);
  if (pp_table_find_locked(pid) != NULL)
    r = -EEXIST;
  else
    pp_table_insert_locked(child);
  pp_table_unlock(&saved);
  if (r < 0) {
    pp_sys1(SYS_close, fd);
    child->fd = -1;
  }
  return (int)r;
}
