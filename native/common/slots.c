/*
 * slots.c - the descriptors a spawn gives its child's stdio slots.
 *
 * Every descriptor made here is close-on-exec in the parent: a child started
 * elsewhere at the same moment must not inherit another child's pipe.
 *
 * /dev/null is opened once per process and kept for its life: every 'ignore'
 * slot of every spawn, from any thread, shares that one descriptor. Before
 * each use an fstat checks that the number still names the /dev/null opened
 * then, and fcntl that it is open for reading and writing: a host may close
 * descriptors it does not own and reuse the number.
 * When it does not, /dev/null is opened again; the old number is left alone,
 * since it is no longer this file's to close.
 */
#define _GNU_SOURCE
#include "slots.h"

#include "backend.h"
#include "host_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shared /dev/null descriptor (-1 before the first use) and what fstat said of it. */
static atomic_int devnull_fd = -1;
static atomic_ullong devnull_dev, devnull_ino, devnull_rdev;

/*
 * 1 when fd is open, for reading and writing, on the very /dev/null recorded
 * when it was opened. A host that closed the number and opened /dev/null
 * itself read-only (a daemon's stdin, say) has the same file there, which
 * a child could not write to.
 */
static int devnull_still_ours(int fd) {
  struct stat st;
  if (fd < 0 || (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR) return 0;
  /* dev_t is signed on macOS: every field is compared as the unsigned it is stored as. */
  return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
         (unsigned long long)st.st_dev ==
             atomic_load_explicit(&devnull_dev, memory_order_relaxed) &&
         (unsigned long long)st.st_ino ==
             atomic_load_explicit(&devnull_ino, memory_order_relaxed) &&
         (unsigned long long)st.st_rdev ==
             atomic_load_explicit(&devnull_rdev, memory_order_relaxed);
}

/*
 * Returns the shared /dev/null descriptor, opening it on first use or when
 * the host has closed or replaced it, or -errno. Of two threads that open it
 * at once, the one that loses the exchange closes its own and uses the other.
 */
static int devnull_get(void) {
  int fd = atomic_load_explicit(&devnull_fd, memory_order_acquire);
  if (devnull_still_ours(fd)) return fd;
  int mine = open("/dev/null", O_RDWR | O_CLOEXEC);
  struct stat st;
  if (mine < 0) return -errno;
  if (fstat(mine, &st) < 0) {
    int err = -errno;
    close(mine);
    return err;
  }
  atomic_store_explicit(&devnull_dev, (unsigned long long)st.st_dev, memory_order_relaxed);
  atomic_store_explicit(&devnull_ino, (unsigned long long)st.st_ino, memory_order_relaxed);
  atomic_store_explicit(&devnull_rdev, (unsigned long long)st.st_rdev, memory_order_relaxed);
  if (atomic_compare_exchange_strong_explicit(&devnull_fd, &fd, mine, memory_order_acq_rel,
                                              memory_order_acquire))
    return mine;
  /* Another thread published a fresh one meanwhile (fd now holds it). */
  close(mine);
  return devnull_still_ours(fd) ? fd : devnull_get();
}

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
      if (devnull < 0 && (err = devnull = devnull_get()) < 0) goto fail;
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
  for (int i = 0; i < n; i++) {
    if (spec[i] >= 0 || spec[i] == PP_STDIO_IGNORE || child_fds[i] < 0) continue;
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
