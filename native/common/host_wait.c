/*
 * host_wait.c - the host's waits, which never hand out a private status.
 *
 * They look before they reap: waitid(WNOWAIT) names the child that has an
 * event; under the table lock a private one is reaped through its backend
 * and stashed for its handle, an ordinary one is reaped and reported.
 * Spawning holds the same lock until the new pid is in the table, so a
 * private child is never taken for an ordinary one.
 *
 * This file also runs inside the preload shim, in signal handlers: it makes
 * raw system calls (the shim interposes the C library's wait functions),
 * allocates nothing and uses no stdio.
 */
#define _GNU_SOURCE
#include "host_wait.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "table.h"

/* The kernel's waitid takes a fifth argument, the rusage, that libc's lacks. */
static long host_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru) {
  int saved = errno;
  long r = syscall(SYS_waitid, type, id, info, options, ru);
  if (r < 0) r = -errno;
  errno = saved;
  return r;
}

/* Counts the decimal numbers in a /proc children file, read raw. */
static int host_count_in(const char *path) {
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC), count = 0, in_number = 0;
  if (fd < 0) return -1;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      int digit = buf[i] >= '0' && buf[i] <= '9';
      if (digit && !in_number) count++;
      in_number = digit;
    }
  }
  close(fd);
  return count;
}

/* The kernel's linux_dirent64, read from /proc without opendir. */
struct host_dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/* Counts this process's children from /proc; -1 where /proc cannot tell. */
static int host_count_children(void) {
  char buf[2048], path[64];
  int total = 0;
  int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct host_dirent64 *d = (struct host_dirent64 *)(buf + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9' || strlen(d->name) > 20) continue;
      memcpy(path, "/proc/self/task/", 16);
      size_t len = strlen(d->name);
      memcpy(path + 16, d->name, len);
      memcpy(path + 16 + len, "/children", 10);
      int c = host_count_in(path);
      if (c < 0) {
        close(dir);
        return -1;
      }
      total += c;
    }
  }
  close(dir);
  return total;
}

/* The wait(2) status word of the event waitid described. */
static int host_wstatus(const siginfo_t *info) {
  switch (info->si_code) {
    case CLD_EXITED:
      return (info->si_status & 0xff) << 8;
    case CLD_KILLED:
      return info->si_status & 0x7f;
    case CLD_DUMPED:
      return (info->si_status & 0x7f) | 0x80;
    case CLD_STOPPED:
    case CLD_TRAPPED:
      return ((info->si_status & 0xff) << 8) | 0x7f;
    case CLD_CONTINUED:
      return 0xffff;
    default:
      return 0;
  }
}

static int host_is_exit(const siginfo_t *info) {
  return info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
}

/*
 * One look under the lock: 1 with *out for an ordinary child, 0 when
 * nothing is ready, 2 when a private child's event was taken (look again),
 * or -errno.
 */
static int host_look(idtype_t type, id_t id, int options, pp_wait_result *out) {
  siginfo_t peek;
  memset(&peek, 0, sizeof(peek));
  long r = host_waitid(type, id, &peek, options | WNOHANG | WNOWAIT, NULL);
  if (r < 0) return (int)r;
  if (peek.si_pid == 0) {
    int children = type == P_ALL ? host_count_children() : -1;
    if (children >= 0 && children <= pp_table_count_locked()) return -ECHILD;
    return 0;
  }
  pp_child *child = pp_table_find_locked(peek.si_pid);
  if (child != NULL) {
    pp_status stash;
    siginfo_t drop;
    if (!host_is_exit(&peek)) {
      /* A stop or continue of a private child is nobody else's business. */
      host_waitid(P_PID, (id_t)peek.si_pid, &drop, (options & ~(WEXITED | WNOWAIT)) | WNOHANG,
                  NULL);
    } else {
      int r = child->backend->try_reap(child, &stash);
      if (r == 0) pp_table_stash_locked(child, &stash);
      /* A backend that cannot reap it would have us look at it forever: let it go. */
      else if (r != -EAGAIN)
        pp_table_remove_locked(child);
    }
    return 2;
  }
  memset(out, 0, sizeof(*out));
  if (options & WNOWAIT) {
    out->info = peek;
  } else {
    r = host_waitid(P_PID, (id_t)peek.si_pid, &out->info, options | WNOHANG, &out->ru);
    if (r < 0 || out->info.si_pid == 0) return 2;
  }
  out->wstatus = host_wstatus(&out->info);
  return 1;
}

int pp_host_wait(idtype_t type, id_t id, int options, pp_wait_result *out) {
  for (;;) {
    sigset_t saved;
    int r;
    pp_table_lock(&saved);
    if (type == P_PID && pp_table_find_locked((int)id) != NULL)
      r = -ECHILD;
    else
      r = host_look(type, id, options, out);
    pp_table_unlock(&saved);
    if (r == 2) continue;
    if (r != 0 || (options & WNOHANG)) return r;
    /* Block until some child has an event, leaving it for the locked look. */
    siginfo_t peek;
    long b = host_waitid(type, id, &peek, options | WNOWAIT, NULL);
    if (b < 0) return (int)b;
  }
}

void pp_wait_target(int pid, idtype_t *type, id_t *id) {
  *type = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
  *id = pid == -1 ? 0 : pid > 0 ? (id_t)pid : (id_t)-pid;
}

int pp_host_waitpid(int pid, int nohang, pp_status *st) {
  idtype_t type;
  id_t id;
  pp_wait_result w;
  pp_wait_target(pid, &type, &id);
  int r;
  do {
    r = pp_host_wait(type, id, WEXITED | (nohang ? WNOHANG : 0), &w);
  } while (r == -EINTR);
  if (r != 1) return r;
  st->pid = w.info.si_pid;
  st->code = w.info.si_code;
  st->status = w.info.si_status;
  st->has_rusage = 1;
  st->utime_us = (int64_t)w.ru.ru_utime.tv_sec * 1000000 + w.ru.ru_utime.tv_usec;
  st->stime_us = (int64_t)w.ru.ru_stime.tv_sec * 1000000 + w.ru.ru_stime.tv_usec;
  st->maxrss_kb = w.ru.ru_maxrss;
  return 1;
}
