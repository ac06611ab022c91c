/*
 * latency.c: the floor of the bench's latency row, measured without Node: the
 * time from a child's exit to its wait settling in a C event loop.
 *
 * Each child is bench/stamp, started with posix_spawn and its stdout on a pipe;
 * this program reads the stamp, then sleeps in epoll_wait on the child's pidfd
 * (as an event loop sleeps), reaps it with waitid(P_PIDFD) and takes the time.
 * The difference is what the kernel and the scheduler alone cost between the
 * child's exit and a waiter that was asleep: the part no library can remove.
 *
 * Usage:
 *   latency N STAMP     N children, one at a time; prints {"p50":..,"p99":..} in µs
 *
 * Kernel versions: pidfd_open 5.3, P_PIDFD 5.4.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
/* The waitid id type for a pidfd, spelled out because old headers lack it. */
#define LATENCY_P_PIDFD 3

extern char **environ;

/* CLOCK_MONOTONIC in nanoseconds, the clock stamp prints. */
static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* Runs stamp once and returns the ns from its stamp to the reap, or -1. */
static long long once(int ep, char *stamp) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  char *argv[] = {stamp, NULL};
  pid_t pid;
  int err = posix_spawn(&pid, stamp, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (err != 0) return -1;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  char line[32] = {0};
  ssize_t n = read(out[0], line, sizeof(line) - 1);
  close(out[0]);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
  if (pidfd < 0 || n <= 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev) != 0) return -1;
  while (epoll_wait(ep, &ev, 1, -1) != 1) {
  }
  siginfo_t info;
  if (syscall(SYS_waitid, LATENCY_P_PIDFD, pidfd, &info, WEXITED, NULL) != 0) return -1;
  long long settled = now_ns();
  epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL);
  close(pidfd);
  return settled - atoll(line);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: latency N STAMP\n");
    return 2;
  }
  int count = atoi(argv[1]);
  long long *v = calloc((size_t)count, sizeof(*v));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (count <= 0 || v == NULL || ep < 0) return 2;
  for (int i = 0; i < count; i++) {
    v[i] = once(ep, argv[2]);
    if (v[i] < 0) {
      fprintf(stderr, "latency: a spawn or wait failed\n");
      return 1;
    }
  }
  qsort(v, (size_t)count, sizeof(*v), by_value);
  printf("{\"p50\":%.1f,\"p99\":%.1f}\n", v[count / 2] / 1000.0, v[count * 99 / 100] / 1000.0);
  return 0;
}
