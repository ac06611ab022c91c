/*
 * host_sys.c - the host's system calls on Linux: raw waitid and wait4, the
 * children and their process groups read from /proc.
 *
 * The children are listed from /proc/self/task/TID/children, one file per
 * thread. A kernel built without CONFIG_PROC_CHILDREN has no such files,
 * and a thread that ends while they are read takes its own with it; then
 * every process of /proc whose parent is this one is listed instead, from
 * its stat: slower, as exact. Without /proc there is no list at all.
 */
#define _GNU_SOURCE
#include "../common/host_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's waitid takes a fifth argument, the rusage, that libc's lacks. */
long pp_sys_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru) {
  int saved = errno;
  long r = syscall(SYS_waitid, type, id, info, options, ru);
  if (r < 0) r = -errno;
  errno = saved;
  return r;
}

long pp_sys_wait4(int pid, int *wstatus, int options, struct rusage *ru) {
  int saved = errno;
  long r = syscall(SYS_wait4, pid, wstatus, options, ru);
  if (r < 0) r = -errno;
  errno = saved;
  return r;
}

/* The kernel's linux_dirent64, read from /proc without opendir. */
struct host_dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/* Reads a small /proc file into buf, NUL-terminated; returns its length or -1. */
static long host_read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

/* Writes pid in decimal at out, NUL-terminated; returns its length. */
static int host_decimal(long pid, char *out) {
  char digits[24];
  int len = 0;
  for (long p = pid; p > 0; p /= 10) digits[len++] = (char)('0' + p % 10);
  for (int i = 0; i < len; i++) out[i] = digits[len - 1 - i];
  out[len] = '\0';
  return len;
}

/*
 * A number of /proc/<name>/stat after the command: 1 is the parent's pid,
 * 2 the process group. -1 when it cannot be read (the process is gone).
 */
static long host_stat_field(const char *name, size_t len, int which) {
  char path[48], buf[512];
  if (len > 20) return -1;
  memcpy(path, "/proc/", 6);
  memcpy(path + 6, name, len);
  memcpy(path + 6 + len, "/stat", 6);
  if (host_read_file(path, buf, sizeof(buf)) < 0) return -1;
  /* pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  int field = 0;
  for (; *p != '\0' && field < which + 1; p++) {
    if (*p == ' ') field++;
  }
  long value = 0;
  for (; *p >= '0' && *p <= '9'; p++) value = value * 10 + (*p - '0');
  return value;
}

/* The process group of pid, from /proc/PID/stat. */
long pp_sys_pgid_of(long pid) {
  char name[24];
  int saved = errno;
  long pgid = host_stat_field(name, (size_t)host_decimal(pid, name), 2);
  errno = saved;
  return pgid;
}

/* Calls fn for each pid of one /proc children file: its result, or -1 unreadable. */
static int host_each_in(const char *path, int (*fn)(long pid, void *arg), void *arg) {
  char buf[1024];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  long pid = -1;
  int found = 0;
  if (fd < 0) return -1;
  while (!found) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n && !found; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        pid = (pid < 0 ? 0 : pid * 10) + (buf[i] - '0');
      } else if (pid >= 0) {
        found = fn(pid, arg);
        pid = -1;
      }
    }
  }
  if (!found && pid >= 0) found = fn(pid, arg);
  close(fd);
  return found;
}

/*
 * Calls visit for each numeric entry of a /proc directory, with its name and
 * length, until visit returns non-zero: that result, 0, or -1 unreadable.
 */
static int host_each_numeric(const char *dirpath,
                             int (*visit)(const char *name, size_t len, void *ctx), void *ctx) {
  char buf[2048];
  int result = 0;
  int dir = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  while (result == 0) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
    if (n < 0) result = -1;
    if (n <= 0) break;
    for (long off = 0; off < n && result == 0;) {
      struct host_dirent64 *d = (struct host_dirent64 *)(buf + off);
      off += d->reclen;
      size_t len = strlen(d->name);
      if (d->name[0] < '0' || d->name[0] > '9' || len > 20) continue;
      result = visit(d->name, len, ctx);
    }
  }
  close(dir);
  return result;
}

/* What a walk of /proc passes to each entry: the caller's function, and this process's pid. */
struct host_walk {
  int (*fn)(long pid, void *arg);
  void *arg;
  long me;
};

/* One thread's children, from /proc/self/task/TID/children. */
static int host_visit_task(const char *name, size_t len, void *ctx) {
  const struct host_walk *w = ctx;
  char path[64];
  memcpy(path, "/proc/self/task/", 16);
  memcpy(path + 16, name, len);
  memcpy(path + 16 + len, "/children", 10);
  return host_each_in(path, w->fn, w->arg);
}

/* One process of /proc, passed on when its parent is this process. */
static int host_visit_process(const char *name, size_t len, void *ctx) {
  const struct host_walk *w = ctx;
  /* A process that is gone since the directory was read is no child any more. */
  if (host_stat_field(name, len, 1) != w->me) return 0;
  long pid = 0;
  for (size_t i = 0; i < len; i++) pid = pid * 10 + (name[i] - '0');
  return w->fn(pid, w->arg);
}

/*
 * 1 when the /proc mounted here names this process as its own pid
 * namespace does: a /proc of another namespace would list other pids.
 */
static int host_proc_is_ours(long me) {
  char link[24], name[24];
  long n = readlink("/proc/self", link, sizeof(link) - 1);
  if (n <= 0) return 0;
  link[n] = '\0';
  host_decimal(me, name);
  return strcmp(link, name) == 0;
}

int pp_sys_each_child(int (*fn)(long pid, void *arg), void *arg) {
  int saved = errno;
  long me = (long)getpid();
  int result = -1;
  if (host_proc_is_ours(me)) {
    struct host_walk walk = {fn, arg, me};
    result = host_each_numeric("/proc/self/task", host_visit_task, &walk);
    if (result < 0) result = host_each_numeric("/proc", host_visit_process, &walk);
  }
  errno = saved;
  return result;
}
