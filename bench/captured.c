/*
 * captured.c: the C baseline of the captured-output row: run a program that
 * prints a line and read what it wrote, as runPrivate and execFile do.
 *
 * Each run makes two pipes (stdout and stderr, close-on-exec), starts the
 * program with posix_spawn (glibc's is a clone with CLONE_VM | CLONE_VFORK)
 * with stdin on /dev/null, reads both pipes to their end with poll, reaps the
 * child with waitpid and checks that it exited 0 having printed the expected
 * line.  It does everything a captured run must, nothing the package could
 * skip: no decoding, no stream objects, no event loop.
 *
 * Usage:
 *   captured N [FILE [ARG]]    N runs of FILE ARG (default /bin/echo hello)
 *
 * The output is one JSON object whose "rate" is runs per second.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Reads both pipes to their end, keeping up to cap bytes of stdout in buf; returns its length. */
static size_t drain(int out, int err, char *buf, size_t cap) {
  struct pollfd fds[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
  size_t len = 0;
  char scratch[4096];
  int open = 2;

  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      exit(1);
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      int to_buf = i == 0 && len < cap;
      ssize_t n =
          read(fds[i].fd, to_buf ? buf + len : scratch, to_buf ? cap - len : sizeof scratch);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        open--;
      } else if (to_buf) {
        len += (size_t)n;
      }
    }
  }
  return len;
}

/* One run: spawn with two pipes, read both to their end, reap; 0 when it printed `expect`. */
static int run_once(char *const argv[], const char *expect) {
  int out[2], err[2];
  posix_spawn_file_actions_t fa;
  pid_t pid;
  char buf[256];
  int status = 0;

  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    perror("pipe2");
    exit(1);
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (r != 0) {
    fprintf(stderr, "captured: spawn %s: %s\n", argv[0], strerror(r));
    exit(1);
  }
  size_t len = drain(out[0], err[0], buf, sizeof buf);
  close(out[0]);
  close(err[0]);
  if (waitpid(pid, &status, 0) < 0) {
    perror("waitpid");
    exit(1);
  }
  int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return ok && len == strlen(expect) && memcmp(buf, expect, len) == 0 ? 0 : 1;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  char *child_argv[] = {"/bin/echo", "hello", NULL};
  char expect[256];
  long failures = 0;

  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  if (n <= 0) {
    fprintf(stderr, "usage: captured N [FILE [ARG]]\n");
    return 2;
  }
  if (argc > 2) child_argv[0] = argv[2];
  if (argc > 3) child_argv[1] = argv[3];
  snprintf(expect, sizeof expect, "%s\n", child_argv[1]);
  for (long i = 0; i < n / 10 && i < 100; i++) run_once(child_argv, expect);
  double start = now_seconds();
  for (long i = 0; i < n; i++) failures += run_once(child_argv, expect);
  double seconds = now_seconds() - start;
  printf(
      "{ \"rate\": %.1f, \"mode\": \"captured\", \"count\": %ld, \"seconds\": %.3f, "
      "\"clone\": \"posix_spawn\", \"failures\": %ld }\n",
      (double)n / seconds, n, seconds, failures);
  return failures == 0 ? 0 : 1;
}
