/*
 * no-proc-children.c: a library to preload (LD_PRELOAD) that makes /proc/PID/task/TID/children
 * missing, as on a kernel built without CONFIG_PROC_CHILDREN: every open of a path ending in
 * "/children" fails with ENOENT. Every other open goes to the kernel as it is.
 */
#define _GNU_SOURCE
/* The C library's own inline open would stand in the way of these definitions. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int no_children(const char *path) {
  size_t len = path == NULL ? 0 : strlen(path);
  return len >= 9 && strcmp(path + len - 9, "/children") == 0;
}

static int open_at(int dir, const char *path, int flags, mode_t mode) {
  if (no_children(path)) {
    errno = ENOENT;
    return -1;
  }
  return (int)syscall(SYS_openat, dir, path, flags, mode);
}

/* The mode is there only with O_CREAT or O_TMPFILE. */
#define NO_CHILDREN_MODE(flags, mode)      \
  do {                                     \
    if ((flags) & (O_CREAT | O_TMPFILE)) { \
      va_list ap;                          \
      va_start(ap, flags);                 \
      mode = (mode_t)va_arg(ap, int);      \
      va_end(ap);                          \
    }                                      \
  } while (0)

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  NO_CHILDREN_MODE(flags, mode);
  return open_at(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  mode_t mode = 0;
  NO_CHILDREN_MODE(flags, mode);
  return open_at(AT_FDCWD, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) {
  mode_t mode = 0;
  NO_CHILDREN_MODE(flags, mode);
  return open_at(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...) {
  mode_t mode = 0;
  NO_CHILDREN_MODE(flags, mode);
  return open_at(dir, path, flags, mode);
}

/* What _FORTIFY_SOURCE turns an open with a flags variable into. */
int __open_2(const char *path, int flags) {
  return open_at(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags) {
  return open_at(AT_FDCWD, path, flags, 0);
}
