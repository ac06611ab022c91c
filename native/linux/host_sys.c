/*
 * host_sys.c - the host's system calls on Linux: raw waitid and wait4, the
 * children and their process groups read from /proc.
 */
#define _GNU_SOURCE
#include "../common/host_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <stdint.h>
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

/* The process group of pid, from /proc/PID/stat. */
long pp_sys_pgid_of(long pid) {
  char path[48], buf[512];
  int len = 0, saved = errno;
  char digits[24];
  for (long p = pid; p > 0; p /= 10) digits[len++] = (char)('0' + p % 10);
  memcpy(path, "/proc/", 6);
  for (int i = 0; i < len; i++) path[6 + i] = digits[len - 1 - i];
  memcpy(path + 6 + len, "/stat", 6);
  long n = host_read_file(path, buf, sizeof(buf));
  errno = saved;
  if (n < 0) return -1;
  /* pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  int field = 0;
  for (; *p != '\0' && field < 3; p++) {
    if (*p == ' ') field++;
  }
  long pgid = 0;
  for (; *p >= '0' && *p <= '9'; p++) pgid = pgid * 10 + (*p - '0');
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

/* Every thread's children, from /proc/self/task/TID/children. */
int pp_sys_each_child(int (*fn)(long pid, void *arg), void *arg) {
  char buf[2048], path[64];
  int result = 0, saved = errno;
  int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    errno = saved;
    return -1;
  }
  while (result == 0) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
    if (n <= 0) break;
    for (long off = 0; off < n && result == 0;) {
      struct host_dirent64 *d = (struct host_dirent64 *)(buf + off);
      off += d->reclen;
      size_t len = strlen(d->name);
      if (d->name[0] < '0' || d->name[0] > '9' || len > 20) continue;
      memcpy(path, "/proc/self/task/", 16);
      memcpy(path + 16, d->name, len);
      memcpy(path + 16 + len, "/children", 10);
      result = host_each_in(path, fn, arg);
    }
  }
  close(dir);
  errno = saved;
  return result;
}
