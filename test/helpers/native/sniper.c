/*
 * sniper.c: kills a hidden spawn's intermediate while its child has not exec'd yet, as an
 * administrator's kill -9 or the OOM killer might, then lets that orphaned child end only while
 * the next hidden spawn is in flight. Used by test/fixtures/killed-before-exec.cjs.
 *
 *   sniper NODEPID     (rounds driven by lines on stdin, answered on stdout)
 *
 * "go": prints "armed", then looks for an intermediate IA (a process whose parent is NODEPID)
 * with a child A. It stops A, and once A is stopped (it cannot have exec'd: the fixture's
 * command exists nowhere) SIGKILLs IA and prints "hit". A that ended first is let go, and the
 * search goes on with the next spawn. Then it looks for the next intermediate IB with a child B,
 * until it finds one or "done" arrives, and prints "released INFLIGHT ALIVE": whether B was in
 * flight, and whether A was still there (stopped) before this SIGKILL of it. A is signalled
 * through a pidfd, or by pid only while it is still the stopped process with A's start time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PROCS 65536

typedef struct proc {
  int pid, ppid;
  char state;
  unsigned long long start;
} proc;

/* Reads pid's state, parent and start time; 0 when it is gone. */
static int sniper_stat(int pid, proc *p) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *q = strrchr(buf, ')');
  if (q == NULL) return 0;
  p->pid = pid;
  p->state = q[2];
  /* After ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
   * stime cutime cstime priority nice num_threads itrealvalue starttime. */
  return sscanf(q + 4,
                "%d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                &p->ppid, &p->start) == 2;
}

/* Finds a child of node other than skip and this program that has a child itself; 1 when found. */
static int sniper_find(int node, int skip, proc *intermediate, proc *child) {
  static proc all[MAX_PROCS];
  int n = 0, self = getpid();
  DIR *d = opendir("/proc");
  struct dirent *e;
  if (d == NULL) return 0;
  while ((e = readdir(d)) != NULL && n < MAX_PROCS) {
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && sniper_stat(atoi(e->d_name), &all[n])) n++;
  }
  closedir(d);
  for (int i = 0; i < n; i++) {
    if (all[i].ppid != node || all[i].pid == self || all[i].pid == skip) continue;
    for (int k = 0; k < n; k++) {
      if (all[k].ppid != all[i].pid) continue;
      *intermediate = all[i];
      *child = all[k];
      return 1;
    }
  }
  return 0;
}

/* 1 while pid is the stopped process a was (same start time). */
static int sniper_still_stopped(const proc *a) {
  proc now;
  return sniper_stat(a->pid, &now) && now.start == a->start && now.state == 'T';
}

/* Signals a through its pidfd, or by pid while it is still the stopped process it was. */
static void sniper_signal(const proc *a, int pidfd, int sig, int check) {
  if (pidfd >= 0)
    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  else if (!check || sniper_still_stopped(a))
    kill(a->pid, sig);
}

/* Reads one line from stdin into line; 0 at end of input. */
static int sniper_line(char *line, size_t size) {
  size_t n = 0;
  char c;
  while (read(0, &c, 1) == 1) {
    if (c == '\n') {
      line[n] = '\0';
      return 1;
    }
    if (n + 1 < size) line[n++] = c;
  }
  return 0;
}

/* Phase 1: the first intermediate whose child could be stopped. Returns A's pidfd or -1. */
static int sniper_hit(int node, proc *ia, proc *a) {
  for (;;) {
    if (!sniper_find(node, -1, ia, a)) continue;
    int pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
    /* A may have exited and its pid be anyone's: A is still there only with its start time. */
    proc now;
    if (!(sniper_stat(a->pid, &now) && now.start == a->start && now.ppid == ia->pid)) {
      if (pidfd >= 0) close(pidfd);
      continue;
    }
    sniper_signal(a, pidfd, SIGSTOP, 0);
    while (sniper_stat(a->pid, &now) && now.start == a->start && now.state != 'T' &&
           now.state != 'Z')
      ;
    if (sniper_still_stopped(a)) {
      /* IA waits for A, which cannot exit while stopped: IA's pid is still IA's. */
      kill(ia->pid, SIGKILL);
      return pidfd;
    }
    if (pidfd >= 0) close(pidfd);
  }
}

int main(int argc, char **argv) {
  char line[64];
  if (argc != 2) return 2;
  int node = atoi(argv[1]);
  /* A fixture that was killed takes this program along. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != node) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (sniper_line(line, sizeof(line))) {
    if (strcmp(line, "go") != 0) continue;
    proc ia, a, ib, b;
    printf("armed\n");
    int pidfd = sniper_hit(node, &ia, &a);
    printf("hit\n");
    int inflight = 0, done = 0;
    while (!inflight && !done) {
      struct pollfd in = {.fd = 0, .events = POLLIN};
      if (poll(&in, 1, 0) > 0) done = sniper_line(line, sizeof(line)) == 0 || !strcmp(line, "done");
      if (!done) inflight = sniper_find(node, ia.pid, &ib, &b);
    }
    int alive = pidfd >= 0 ? syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 &&
                                 sniper_still_stopped(&a)
                           : sniper_still_stopped(&a);
    sniper_signal(&a, pidfd, SIGKILL, 1);
    if (pidfd >= 0) close(pidfd);
    printf("released %d %d\n", inflight, alive);
    while (!done && sniper_line(line, sizeof(line))) done = strcmp(line, "done") == 0;
  }
  return 0;
}
