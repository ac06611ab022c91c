/*
 * fds.c - close-on-exec descriptors on macOS, which has neither pipe2, nor
 * SOCK_CLOEXEC, nor eventfd: close-on-exec is set right after, which leaves
 * a window in which a fork elsewhere in the process can inherit them (exec
 * closes them in that child all the same).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/host_sys.h"

/* Marks both descriptors close-on-exec, or closes them. */
static int macos_cloexec(int fds[2]) {
  for (int i = 0; i < 2; i++) {
    if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
      int err = -errno;
      close(fds[0]);
      close(fds[1]);
      return err;
    }
  }
  return 0;
}

int pp_sys_pipe(int fds[2]) {
  return pipe(fds) == 0 ? macos_cloexec(fds) : -errno;
}

int pp_sys_socketpair(int fds[2]) {
  return socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0 ? macos_cloexec(fds) : -errno;
}

int pp_sys_wake_open(int *rfd, int *wfd) {
  int fds[2];
  int r = pp_sys_pipe(fds);
  if (r < 0) return r;
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  *rfd = fds[0];
  *wfd = fds[1];
  return 0;
}

void pp_sys_wake(int wfd) {
  if (write(wfd, "", 1) < 0) (void)0;
}

void pp_sys_wake_drain(int rfd) {
  char drain[64];
  while (read(rfd, drain, sizeof(drain)) > 0) {
  }
}
