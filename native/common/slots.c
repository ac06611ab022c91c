/*
 * slots.c - the descriptors a spawn gives its child's stdio slots.
 *
 * Every descriptor made here is close-on-exec in the parent: a child started
 * elsewhere at the same moment must not inherit another child's pipe.
 */
#define _GNU_SOURCE
#include "slots.h"

#include "backend.h"
#include "host_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int pp_stdio_open(const int *spec, int n, int *child_fds, int *parent_fds) {
  int devnull = -1, err = 0;
  for (int i = 0; i < n; i++) {
    parent_fds[i] = -1;
    child_fds[i] = PP_FD_CLOSED;
  }
  for (int i = 0; i < n; i++) {
    int pair[2];
    if (spec[i] >= 0) {
      child_fds[i] = spec[i];
    } else if (spec[i] == PP_STDIO_IGNORE) {
      if (devnull < 0) devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull < 0) {
        err = -errno;
        goto fail;
      }
      child_fds[i] = devnull;
    } else if (spec[i] == PP_STDIO_PIPE && i < 3) {
      if ((err = pp_sys_pipe(pair)) < 0) goto fail;
      child_fds[i] = i == 0 ? pair[0] : pair[1];
      parent_fds[i] = i == 0 ? pair[1] : pair[0];
    } else if (spec[i] == PP_STDIO_PIPE || spec[i] == PP_STDIO_SOCKET) {
      if ((err = pp_sys_socketpair(pair)) < 0) goto fail;
      child_fds[i] = pair[1];
      parent_fds[i] = pair[0];
    }
  }
  return 0;
fail:
  pp_stdio_close_child(spec, n, child_fds);
  pp_stdio_close_parent(n, parent_fds);
  return err;
}

void pp_stdio_close_child(const int *spec, int n, const int *child_fds) {
  int devnull_closed = 0;
  for (int i = 0; i < n; i++) {
    if (spec[i] >= 0 || child_fds[i] < 0) continue;
    if (spec[i] == PP_STDIO_IGNORE) {
      if (devnull_closed) continue;
      devnull_closed = 1;
    }
    close(child_fds[i]);
  }
}

void pp_stdio_close_parent(int n, int *parent_fds) {
  for (int i = 0; i < n; i++) {
    if (parent_fds[i] >= 0) close(parent_fds[i]);
    parent_fds[i] = -1;
  }
}

int pp_fd_make_blocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  if ((flags & O_NONBLOCK) != 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return -errno;
  return 0;
}
