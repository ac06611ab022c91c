/*
 * host_wait.c - the host's waitpid, which never hands out a private status.
 *
 * It looks before it reaps: waitid(WNOWAIT) names the child that has
 * exited; under the table lock a private one is reaped through its own
 * descriptor and stashed for its handle, an ordinary one is reaped and
 * returned. Spawning holds the same lock until the new pid is in the table,
 * so a private child is never mistaken for an ordinary one.
 */
#define _GNU_SOURCE
#include "host_wait.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table.h"

/* Counts this process's children from /proc; -1 where /proc cannot tell. */
static int host_count_children(void) {
  char path[320], buf[4096];
  int count = 0;
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL) return -1;
  for (struct dirent *d; (d = readdir(tasks)) != NULL;) {
    if (d->d_name[0] == '.') continue;
    snprintf(path, sizeof(path), "/proc/self/task/%s/children", d->d_name);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
      closedir(tasks);
      return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (char *p = strtok(buf, " \n"); p != NULL; p = strtok(NULL, " \n")) count++;
  }
  closedir(tasks);
  return count;
}

/* Reaps the ordinary child pid, which has exited; 1 when this call reaped it. */
static int host_reap_ordinary(int pid, pp_status *st) {
  struct rusage ru;
  int wstatus;
  if (wait4(pid, &wstatus, WNOHANG, &ru) != pid) return 0;
  pp_status_from_wait(st, pid, wstatus);
  st->has_rusage = 1;
  st->utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
  st->stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
  st->maxrss_kb = ru.ru_maxrss;
  return 1;
}

/*
 * One look under the lock: 1 with *st for an ordinary child, 0 when nothing
 * has exited, 2 when a private child was stashed (look again), or -errno.
 */
static int host_look(idtype_t type, id_t id, pp_status *st) {
  siginfo_t peek;
  memset(&peek, 0, sizeof(peek));
  if (waitid(type, id, &peek, WEXITED | WNOHANG | WNOWAIT) < 0) return -errno;
  if (peek.si_pid == 0) {
    int children = type == P_ALL ? host_count_children() : -1;
    if (children >= 0 && children <= pp_table_count_locked()) return -ECHILD;
    return 0;
  }
  pp_child *child = pp_table_find_locked(peek.si_pid);
  if (child != NULL) {
    pp_status stash;
    if (child->backend->try_reap(child, &stash) == 0) pp_table_stash_locked(child, &stash);
    return 2;
  }
  return host_reap_ordinary(peek.si_pid, st) ? 1 : 2;
}

int pp_host_waitpid(int pid, int nohang, pp_status *st) {
  idtype_t type = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
  id_t id = pid == -1 ? 0 : pid > 0 ? (id_t)pid : (id_t)-pid;
  for (;;) {
    sigset_t saved;
    int r;
    pp_table_lock(&saved);
    if (pid > 0 && pp_table_find_locked(pid) != NULL) r = -ECHILD;
    else r = host_look(type, id, st);
    pp_table_unlock(&saved);
    if (r == 2) continue;
    if (r != 0 || nohang) return r;
    /* Block until some child has exited, leaving it for the locked look. */
    siginfo_t peek;
    if (waitid(type, id, &peek, WEXITED | WNOWAIT) < 0 && errno != EINTR) return -errno;
  }
}
