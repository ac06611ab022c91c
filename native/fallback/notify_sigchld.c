/*
 * notify_sigchld.c - a fallback child's exit, learnt through the event
 * loop's SIGCHLD watcher (Linux). Nothing keeps the status of a child that
 * another reaper took.
 */
#include <errno.h>

#include "fallback.h"

void pp_fallback_notify_arm(pp_child *child) {
  child->fd = -1;
}

int pp_fallback_notify_watch(const pp_child *child, int *fd) {
  (void)child;
  *fd = -1;
  return PP_WATCH_SIGCHLD;
}

int pp_fallback_notify_recover(pp_child *child, pp_status *st) {
  (void)child;
  (void)st;
  return -ECHILD;
}

void pp_fallback_notify_release(pp_child *child) {
  (void)child;
}
