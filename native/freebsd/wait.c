/*
 * wait.c - reaping and signalling a child through its process descriptor.
 *
 * Nothing but a wait for its own pid can reap a pdfork child, and its pid
 * stays its own while the descriptor is open, so a wait by pid reaps
 * exactly this child. If code that knew the pid reaped it first, the exit
 * status still comes with the kqueue's NOTE_EXIT event, without usage.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../common/table.h"
#include "freebsd.h"

static void freebsd_forget(pp_child *child) {
  pp_sigmask saved;
  pp_table_lock(&saved);
  pp_table_remove_locked(child);
  pp_table_unlock(&saved);
}

/* One reap without blocking: the pid (or -errno), 0 while it runs. */
static int freebsd_wait(pp_child *child, int *wstatus, struct rusage *ru) {
  int r;
  do {
    r = wait4(child->pid, wstatus, WNOHANG, ru);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

/* The status the kqueue delivered with NOTE_EXIT, for a child someone else reaped. */
static int freebsd_recover(pp_child *child, pp_status *st) {
  struct kevent ev;
  struct timespec now = {0, 0};
  if (pp_table_take_stash(child, st) == 0) return 0;
  if (child->fd >= 0 && kevent(child->fd, NULL, 0, &ev, 1, &now) == 1 && (ev.fflags & NOTE_EXIT)) {
    pp_status_from_wait(st, child->pid, (int)ev.data);
    return 0;
  }
  return -ECHILD;
}

int pp_freebsd_try_reap(pp_child *child, pp_status *st) {
  struct rusage ru;
  int wstatus = 0;
  if (pp_table_take_stash(child, st) == 0) return 0;
  memset(&ru, 0, sizeof(ru));
  int r = freebsd_wait(child, &wstatus, &ru);
  if (r == 0) return -EAGAIN;
  freebsd_forget(child);
  if (r == -ECHILD) return freebsd_recover(child, st);
  if (r < 0) return r;
  pp_status_from_wait(st, child->pid, wstatus);
  pp_status_rusage(st, &ru);
  return 0;
}

/* Blocks in poll on the descriptor, which reports POLLHUP once the child has exited. */
int pp_freebsd_reap(pp_child *child, pp_status *st) {
  for (;;) {
    int r = pp_freebsd_try_reap(child, st);
    if (r != -EAGAIN) return r;
    struct pollfd p = {.fd = child->aux_fd, .events = POLLIN};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) return -errno;
  }
}

int pp_freebsd_watch(const pp_child *child, int *fd) {
  *fd = child->fd;
  return PP_WATCH_FD;
}

/*
 * While the descriptor is open and the child unreaped, its pid is its own,
 * and so is the process group named by it: no other process can take the
 * pid and lead a group of that number.
 */
int pp_freebsd_signal(pp_child *child, int sig, int flags) {
  pp_sigmask saved;
  int r = -ESRCH;
  pp_table_lock(&saved);
  if (child->in_table) {
    if (flags & PP_SIGNAL_GROUP)
      r = kill(-child->pid, sig) == 0 ? 0 : -errno;
    else
      r = pdkill(child->aux_fd, sig) == 0 ? 0 : -errno;
  }
  pp_table_unlock(&saved);
  return r;
}

void pp_freebsd_release(pp_child *child) {
  freebsd_forget(child);
  if (child->fd >= 0) close(child->fd);
  if (child->aux_fd >= 0) close(child->aux_fd);
  child->fd = -1;
  child->aux_fd = -1;
}

int pp_freebsd_adopt(int pid, pp_child *child) {
  (void)pid;
  (void)child;
  return -ENOTSUP;
}
