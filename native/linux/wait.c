/*
 * wait.c - reaping and signalling, and theft recovery for direct children.
 *
 * A direct child's pidfd is polled by the event loop; when it is readable
 * the child is reaped with the raw waitid(P_PIDFD), which also gives its
 * rusage, and taken out of the table under the same hold of the table
 * lock. When waitid answers ECHILD some other code in the process reaped
 * the child first (a waitpid(-1) that knows nothing of us). Its status is
 * then read from the status our own waits stashed, else from the kernel's
 * copy (PIDFD_GET_INFO with PIDFD_INFO_EXIT, 6.15), else it is lost: the
 * caller says so instead of hanging.
 *
 * A hidden child (child->priv set) is reaped through its intermediate
 * (hidden.c); nothing else can reap it.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "../common/table.h"

/* How long recovery waits for a thief to finish releasing the child. */
#define LINUX_RELEASE_WAIT_MS 2000

static int64_t linux_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * The kernel records the exit for PIDFD_GET_INFO in release_task() before
 * it unhashes the task, and the pidfd reports POLLHUP once the task is
 * unhashed. A pidfd that reports POLLIN (exited) but not POLLHUP does not
 * block poll, so the wait is on the clock, a millisecond at a time.
 */
int pp_linux_wait_released(int pidfd, int timeout_ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  struct timespec now = {0, 0}, tick = {0, 1000 * 1000};
  int64_t deadline = linux_now_ms() + timeout_ms;
  for (;;) {
    long r = pp_sys5(SYS_ppoll, &p, 1, &now, NULL, 0);
    if (r > 0 && (p.revents & POLLHUP)) return 0;
    if (linux_now_ms() >= deadline) return -ETIMEDOUT;
    pp_sys2(SYS_nanosleep, &tick, NULL);
  }
}

static int linux_recover(pp_child *child, pp_status *st) {
  struct pp_pidfd_info info = {.mask = PP_PIDFD_INFO_EXIT};
  /* Only a kernel that keeps the exit (6.15) reports the release: on older ones there is nothing to
   * wait for. */
  if (pp_linux_features.pidfd_info_exit) pp_linux_wait_released(child->fd, LINUX_RELEASE_WAIT_MS);
  if (pp_table_take_stash(child, st) == 0) return 0;
  if (pp_sys3(SYS_ioctl, child->fd, PP_PIDFD_GET_INFO, &info) == 0 &&
      (info.mask & PP_PIDFD_INFO_EXIT)) {
    pp_status_from_wait(st, child->pid, info.exit_code);
    return 0;
  }
  return -ECHILD;
}

/* Reaps a direct child and forgets it in one hold of the table lock. */
static int linux_wait(pp_child *child, pp_status *st) {
  siginfo_t info;
  struct rusage ru;
  pp_sigmask saved;
  long r;
  pp_table_lock(&saved);
  do {
    info.si_pid = 0;
    r = pp_sys5(SYS_waitid, PP_P_PIDFD, child->fd, &info, WEXITED | WNOHANG, &ru);
  } while (r == -EINTR);
  if (r == -ECHILD || (r == 0 && info.si_pid != 0)) pp_table_remove_locked(child);
  pp_table_unlock(&saved);
  if (r == -ECHILD) return linux_recover(child, st);
  if (r < 0) return (int)r;
  if (info.si_pid == 0) return -EAGAIN;
  pp_status_from_siginfo(st, &info, &ru);
  return 0;
}

int pp_linux_try_reap(pp_child *child, pp_status *st) {
  if (child->priv != NULL) return pp_linux_hidden_try_reap(child, st);
  if (pp_table_take_stash(child, st) == 0) return 0;
  return linux_wait(child, st);
}

/*
 * The event loop made the fd non-blocking, and waitid on a non-blocking
 * pidfd never blocks: block in poll until the child has exited instead.
 * The poll has a timeout where only an eventfd tells of a hidden child's
 * exit: an intermediate killed from outside never writes it.
 */
int pp_linux_reap(pp_child *child, pp_status *st) {
  int eventfd_only = child->priv != NULL && ((pp_linux_region *)child->priv)->hidden.efd >= 0;
  struct timespec second = {1, 0};
  for (;;) {
    int r = pp_linux_try_reap(child, st);
    if (r != -EAGAIN) return r;
    struct pollfd p = {.fd = child->fd, .events = POLLIN};
    r = (int)pp_sys5(SYS_ppoll, &p, 1, eventfd_only ? &second : NULL, NULL, 0);
    if (r < 0 && r != -EINTR) return r;
  }
}

/*
 * An intermediate killed from outside never writes its eventfd (before
 * Linux 5.3, where it has no pidfd): such a child is also tried on a timer.
 */
int pp_linux_watch(const pp_child *child, int *fd) {
  *fd = child->fd;
  if (child->priv != NULL && ((pp_linux_region *)child->priv)->hidden.efd >= 0)
    return PP_WATCH_FD_RECHECK;
  return PP_WATCH_FD;
}

/*
 * A direct child's group is signalled atomically through the pidfd where
 * the kernel can (6.9); else by its number, under the table lock and only
 * while the kernel says the child is still our unreaped child: the group's
 * id is the child's pid, which cannot be reused before the child is reaped.
 */
static int linux_signal_group(pp_child *child, int sig) {
  pp_sigmask saved;
  siginfo_t info;
  long r = -ESRCH;
  if (pp_linux_features.pidfd_signal_group)
    return (int)pp_sys4(SYS_pidfd_send_signal, child->fd, sig, NULL, PP_PIDFD_SIGNAL_PROCESS_GROUP);
  pp_table_lock(&saved);
  if (child->in_table &&
      pp_sys5(SYS_waitid, PP_P_PIDFD, child->fd, &info, WEXITED | WNOHANG | WNOWAIT, NULL) == 0)
    r = pp_sys2(SYS_kill, -child->pid, sig);
  pp_table_unlock(&saved);
  return (int)r;
}

int pp_linux_signal(pp_child *child, int sig, int flags) {
  if (child->priv != NULL) return pp_linux_hidden_signal(child, sig, flags);
  if (flags & PP_SIGNAL_GROUP) return linux_signal_group(child, sig);
  return (int)pp_sys4(SYS_pidfd_send_signal, child->fd, sig, NULL, 0);
}

void pp_linux_release(pp_child *child) {
  pp_sigmask saved;
  pp_linux_region *region = child->priv;
  pp_table_lock(&saved);
  pp_table_remove_locked(child);
  pp_table_unlock(&saved);
  /* An intermediate still running on the region would lose its stack: keep both. */
  if (region != NULL && !region->hidden.intermediate_gone) return;
  if (child->fd >= 0) pp_sys1(SYS_close, child->fd);
  child->fd = -1;
  if (region != NULL) pp_linux_region_put(region);
  child->priv = NULL;
}

/*
 * A pid names our child only until someone reaps it: check, through the
 * pidfd itself, that it is still an unreaped child of this process, so the
 * pidfd cannot belong to a stranger that reused the number.
 */
int pp_linux_adopt(int pid, pp_child *child) {
  siginfo_t info;
  pp_sigmask saved;
  long fd = pp_sys2(SYS_pidfd_open, pid, 0);
  if (fd < 0) return (int)fd;
  long r = pp_sys5(SYS_waitid, PP_P_PIDFD, fd, &info, WEXITED | WNOHANG | WNOWAIT, NULL);
  if (r < 0) {
    pp_sys1(SYS_close, fd);
    return (int)r;
  }
  child->pid = pid;
  child->reap_pid = pid;
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
