/*
 * fds.c - close-on-exec descriptors made atomically, where the kernel can
 * (Linux, FreeBSD 13 and later): pipe2, SOCK_CLOEXEC, eventfd. macOS has
 * its own (native/macos/fds.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_sys.h"

int pp_sys_pipe(int fds[2]) {
  return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int pp_sys_socketpair(int fds[2]) {
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : -errno;
}

int pp_sys_wake_open(int *rfd, int *wfd) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return -errno;
  *rfd = *wfd = fd;
  return 0;
}

void pp_sys_wake(int wfd) {
  uint64_t one = 1;
  if (write(wfd, &one, sizeof(one)) < 0) (void)0;
}

void pp_sys_wake_drain(int rfd) {
  uint64_t drain;
  if (read(rfd, &drain, sizeof(drain)) < 0) (void)0;
}
