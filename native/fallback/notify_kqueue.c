/*
 * notify_kqueue.c - a fallback child's exit, learnt through a kqueue
 * EVFILT_PROC NOTE_EXIT watch per child (macOS, FreeBSD), polled by the
 * event loop instead of a SIGCHLD watcher. Registered while the child runs,
 * the watch delivers its exit status (NOTE_EXITSTATUS on macOS; always on
 * FreeBSD) even when another reaper takes the child first. A child that
 * exited before the watch was registered (ESRCH) is left to the SIGCHLD
 * watcher, and reaped by pid. The kqueue is the child's fd, which the
 * loop (or the orphan reaper) polls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/types.h>
#include <unistd.h>

#include "fallback.h"

#ifndef NOTE_EXITSTATUS
#define NOTE_EXITSTATUS 0
#endif

void pp_fallback_notify_arm(pp_child *child) {
  struct kevent ev;
  child->fd = kqueue();
  if (child->fd < 0) return;
  fcntl(child->fd, F_SETFD, FD_CLOEXEC);
  EV_SET(&ev, (uintptr_t)child->pid, EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_EXITSTATUS, 0, NULL);
  if (kevent(child->fd, &ev, 1, NULL, 0, NULL) < 0) {
    close(child->fd);
    child->fd = -1;
  }
}

/* The SIGCHLD watcher is still started before the first spawn (asked with pid 0), for the ESRCH
 * case. */
int pp_fallback_notify_watch(const pp_child *child, int *fd) {
  *fd = child->fd;
  return child->pid > 0 && child->fd >= 0 ? PP_WATCH_FD : PP_WATCH_SIGCHLD;
}

int pp_fallback_notify_recover(pp_child *child, pp_status *st) {
  struct kevent ev;
  struct timespec now = {0, 0};
  if (child->fd >= 0 && kevent(child->fd, NULL, 0, &ev, 1, &now) == 1 && (ev.fflags & NOTE_EXIT)) {
    pp_status_from_wait(st, child->pid, (int)ev.data);
    return 0;
  }
  return -ECHILD;
}

void pp_fallback_notify_release(pp_child *child) {
  if (child->fd >= 0) close(child->fd);
  child->fd = -1;
}
