/*
 * backend.c - the FreeBSD process-descriptor backend's table, and its probe.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "freebsd.h"

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_result;
static const char *probe_reason;

/* A descriptor call on a bad fd answers EBADF where process descriptors exist. */
static void freebsd_probe_run(void) {
  pid_t pid;
  int kq = kqueue();
  if (kq < 0) {
    probe_result = -errno;
    probe_reason = "kqueue is refused";
    return;
  }
  close(kq);
  if (pdgetpid(-1, &pid) == 0 || errno != EBADF) {
    probe_result = -ENOSYS;
    probe_reason = "process descriptors (pdfork, pdgetpid) are refused";
  }
}

int pp_freebsd_probe(pp_caps *caps, const char **reason) {
  pthread_once(&probe_once, freebsd_probe_run);
  *caps = (pp_caps){0};
  caps->hidden = 1;
  caps->child_fds = 1; /* the process descriptor */
  caps->direct_missing = "a pdfork child is never one of this process's ordinary children";
  *reason = probe_reason;
  return probe_result;
}

const pp_backend pp_freebsd_backend = {
    .key = "freebsd",
    .probe = pp_freebsd_probe,
    .spawn = pp_freebsd_spawn,
    .watch = pp_freebsd_watch,
    .try_reap = pp_freebsd_try_reap,
    .reap = pp_freebsd_reap,
    .signal = pp_freebsd_signal,
    .release = pp_freebsd_release,
    .adopt = pp_freebsd_adopt,
};
