/*
 * backend.c - the fallback backend's table: posix_spawn and the waitpid table.
 */
#include <errno.h>
#include <stddef.h>

#include "fallback.h"

static int fallback_probe(pp_caps *caps, const char **reason) {
  *caps = (pp_caps){0};
  caps->direct = 1;
  caps->child_fds = 1; /* its /proc/PID directory (Linux), or its kqueue (macOS, FreeBSD) */
  caps->hidden_missing = "posix_spawn starts the child as this process's own";
  *reason = NULL;
  return 0;
}

static int fallback_adopt(int pid, pp_child *child) {
  (void)pid;
  (void)child;
  return -ENOTSUP;
}

const pp_backend pp_fallback_backend = {
    .key = "fallback",
    .probe = fallback_probe,
    .spawn = pp_fallback_spawn,
    .watch = pp_fallback_notify_watch,
    .try_reap = pp_fallback_try_reap,
    .reap = pp_fallback_reap,
    .signal = pp_fallback_signal,
    .release = pp_fallback_release,
    .adopt = fallback_adopt,
};
