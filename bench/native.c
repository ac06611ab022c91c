/*
 * native.c: the Linux backend's spawn and wait, measured without Node.
 *
 * It links the backend's own sources (native/linux, and the table, status
 * and descriptor code of native/common) and calls its spawn, reap and
 * release as the addon does, for /bin/true (or --program PATH) with stdio
 * on /dev/null and this process's environment, hidden or direct. Set against the C baseline
 * (baseline.c) measured in the same run, it tells what the backend's own
 * work costs; set against the Node contenders, what the JavaScript, Node-API
 * and event loop path costs on top of it.
 *
 * Usage:
 *   native sequential N hidden|direct [--ballast-gib G] [--program PATH]
 *                                                         spawn, wait, repeat N times
 *   native latency N hidden|direct STAMP                  exit to reaped, for STAMP (stamp.c)
 *
 * The output is one JSON object: "rate" (spawns plus waits per second) and
 * the CPU time per spawn of this process ("selfUs") and of its reaped
 * children ("childrenUs": a hidden spawn's intermediates, and the children
 * they reaped); or, in latency mode, the p50 and p99 of the time from the
 * stamp's exit (the CLOCK_MONOTONIC it printed) to the reap's return, in µs.
 *
 * Build (bench/README.md): cc -O2 -Inative/common -o build/bench/native bench/native.c plus the
 * backend's sources.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define NATIVE_MAX_SAMPLES 100000

/* Holds the ballast so the compiler cannot prove it unused and drop the memset. */
static void *volatile ballast_keep;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* CPU time, user and system, of this process (RUSAGE_SELF) or of its reaped children. */
static double cpu_us(int who) {
  struct rusage r;
  getrusage(who, &r);
  return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
         (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static void usage(void) {
  fprintf(stderr,
          "usage: native sequential N hidden|direct [--ballast-gib G] [--program PATH]\n"
          "       native latency N hidden|direct STAMP\n");
  exit(2);
}

/* Spawns as req says, waits for the child and lets it go; exits with a message on failure. */
static void spawn_wait(const pp_spawn_req *req) {
  pp_child child;
  pp_spawn_error err = {0, 0};
  pp_status st;
  memset(&child, 0, sizeof(child));
  child.fd = -1;
  child.aux_fd = -1;
  if (pp_linux_backend.spawn(req, &child, &err) < 0) {
    fprintf(stderr, "native: spawn: %s (step %d)\n", strerror(-err.err), err.step);
    exit(1);
  }
  if (pp_linux_backend.reap(&child, &st) < 0) {
    fprintf(stderr, "native: reap failed\n");
    exit(1);
  }
  pp_linux_backend.release(&child);
}

static void run_sequential(pp_spawn_req *req, long n, const char *isolation) {
  long warmup = n / 10 < 100 ? n / 10 : 100;
  for (long i = 0; i < warmup; i++) spawn_wait(req);
  double t0 = now_us(), self0 = cpu_us(RUSAGE_SELF), kids0 = cpu_us(RUSAGE_CHILDREN);
  for (long i = 0; i < n; i++) spawn_wait(req);
  double elapsed = now_us() - t0;
  printf(
      "{ \"rate\": %.1f, \"mode\": \"sequential\", \"isolation\": \"%s\", \"count\": %ld, "
      "\"selfUs\": %.1f, \"childrenUs\": %.1f }\n",
      (double)n / elapsed * 1e6, isolation, n, (cpu_us(RUSAGE_SELF) - self0) / (double)n,
      (cpu_us(RUSAGE_CHILDREN) - kids0) / (double)n);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One run of the stamp: the µs from its exit to the reap's return, or -1. */
static double stamp_once(pp_spawn_req *req, int devnull) {
  int out[2];
  char line[64] = {0};
  pp_child child;
  pp_spawn_error err = {0, 0};
  pp_status st;
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  int fds[3] = {devnull, out[1], devnull};
  req->fds = fds;
  memset(&child, 0, sizeof(child));
  child.fd = -1;
  child.aux_fd = -1;
  int r = pp_linux_backend.spawn(req, &child, &err);
  close(out[1]);
  double reaped = -1;
  if (r == 0 && pp_linux_backend.reap(&child, &st) == 0) reaped = now_us();
  if (r == 0) pp_linux_backend.release(&child);
  ssize_t got = read(out[0], line, sizeof(line) - 1);
  close(out[0]);
  if (reaped < 0 || got <= 0) return -1;
  return reaped - strtod(line, NULL) / 1e3;
}

static void run_latency(pp_spawn_req *req, long n, const char *isolation, int devnull) {
  static double samples[NATIVE_MAX_SAMPLES];
  long m = 0;
  if (n > NATIVE_MAX_SAMPLES) n = NATIVE_MAX_SAMPLES;
  for (long i = 0; i < 50; i++) stamp_once(req, devnull);
  for (long i = 0; i < n; i++) {
    double us = stamp_once(req, devnull);
    if (us >= 0) samples[m++] = us;
  }
  if (m == 0) {
    fprintf(stderr, "native: no stamp ran\n");
    exit(1);
  }
  qsort(samples, (size_t)m, sizeof(double), by_value);
  printf(
      "{ \"mode\": \"latency\", \"isolation\": \"%s\", \"count\": %ld, \"p50us\": %.0f, "
      "\"p99us\": %.0f }\n",
      isolation, m, samples[m / 2], samples[m * 99 / 100]);
}

/* Allocates gib GiB and writes every byte, so the pages are really resident. */
static void make_ballast(long gib) {
  size_t size = (size_t)gib << 30;
  if (size == 0) return;
  void *p = malloc(size);
  if (p == NULL) {
    fprintf(stderr, "native: cannot allocate %ld GiB of ballast\n", gib);
    exit(1);
  }
  memset(p, 0x5a, size);
  ballast_keep = p;
}

int main(int argc, char **argv) {
  extern char **environ;
  static char *true_argv[] = {"/bin/true", NULL};
  static const char *true_paths[] = {"/bin/true", NULL};
  if (argc < 4) usage();
  int latency = strcmp(argv[1], "latency") == 0;
  if (!latency && strcmp(argv[1], "sequential") != 0) usage();
  long n = strtol(argv[2], NULL, 10), gib = 0;
  int hidden = strcmp(argv[3], "hidden") == 0;
  if (n <= 0 || (!hidden && strcmp(argv[3], "direct") != 0)) usage();
  if (latency && argc != 5) usage();
  for (int i = 4; !latency && i < argc; i += 2) {
    if (i + 1 == argc) usage();
    if (strcmp(argv[i], "--ballast-gib") == 0)
      gib = strtol(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--program") == 0)
      true_argv[0] = (char *)(true_paths[0] = argv[i + 1]);
    else
      usage();
  }

  const char *reason = NULL;
  pp_caps caps;
  memset(&caps, 0, sizeof(caps));
  if (pp_linux_backend.probe(&caps, &reason) < 0) {
    fprintf(stderr, "native: the backend cannot run here: %s\n", reason);
    return 1;
  }
  /* Node ignores SIGPIPE: so does this process, and the child resets it as under Node. */
  signal(SIGPIPE, SIG_IGN);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int fds[3] = {devnull, devnull, devnull};
  const char *stamp_paths[] = {latency ? argv[4] : NULL, NULL};
  char *stamp_argv[] = {latency ? argv[4] : NULL, NULL};
  pp_spawn_req req = {
      .candidates = latency ? stamp_paths : true_paths,
      .argv = latency ? stamp_argv : true_argv,
      .envp = environ,
      .fds = fds,
      .nfds = 3,
      .flags = hidden ? PP_SPAWN_HIDDEN : 0,
      .creds = {.uid = PP_UNCHANGED,
                .gid = PP_UNCHANGED,
                .ngroups = PP_UNCHANGED,
                .umask = PP_UNCHANGED},
  };
  make_ballast(gib);
  if (latency)
    run_latency(&req, n, argv[3], devnull);
  else
    run_sequential(&req, n, argv[3]);
  return 0;
}
