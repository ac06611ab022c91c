/*
 * baseline.c: the spawn technique of the Linux backend, measured without Node.
 *
 * The child is created with clone3(CLONE_PIDFD | CLONE_VM | CLONE_VFORK) on a
 * separate stack, runs a small C function there that points its stdio at
 * /dev/null and calls execve("/bin/true"), and the parent reaps it with the raw
 * waitid(P_PIDFD) system call.  When clone3 is refused (ENOSYS or EPERM, as some
 * seccomp profiles do), the legacy clone(CLONE_PIDFD) through glibc's wrapper is
 * used instead; the JSON output says which one ran.
 *
 * The child does less than the library's: this program installs no signal
 * handler and ignores no signal, so it neither resets dispositions in the
 * child nor blocks signals around the clone, as the library must.
 *
 * Usage:
 *   baseline sequential N [--ballast-gib G]     spawn, wait, repeat N times
 *   baseline inflight N K [--ballast-gib G]     keep K children alive, N in all
 *   --legacy-clone                              skip clone3, as if it were refused
 *
 * The output is one JSON object whose "rate" is spawns plus waits per second.
 *
 * Kernel versions: clone3 and CLONE_PIDFD for clone3 5.3, P_PIDFD 5.4,
 * close_range 5.9 (its failure in the child is ignored).  x86_64 only: the
 * clone3 trampoline is written in inline assembly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "baseline.c needs x86_64: its clone3 trampoline is inline assembly"
#endif

/* The waitid id type for a pidfd, spelled out because old headers lack it. */
#define BASELINE_P_PIDFD 3
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define BASELINE_CLOSE_RANGE_CLOEXEC (1U << 2)

/* The child runs only until execve, so a small stack is plenty. */
#define CHILD_STACK_SIZE (64 * 1024)
#define WARMUP_MAX 100

/* Holds the ballast so the compiler cannot prove it unused and drop the memset. */
static void *volatile ballast_keep;

/* Everything the child needs, prepared by the parent before the clone. */
struct spawn_request {
  const char *path;
  char *const *argv;
  char *const *envp;
  int devnull;
  /* Written by the child when a step fails; read by the parent after the
   * clone returns, which CLONE_VFORK delays until execve or exit. */
  volatile long child_error;
};

struct bench {
  struct spawn_request request;
  void *stack;
  int use_clone3;
  long failures;
};

/*
 * A raw system call of up to four arguments that returns -errno and never
 * writes errno: the child shares the parent's memory, including its
 * thread-local errno, so it must not touch it.
 */
static long raw_syscall(long nr, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

/*
 * The child side, from clone to execve.  It runs on the borrowed stack in the
 * parent's address space, so it makes raw system calls only: no malloc, no
 * locks, no errno.  Every path ends in execve or in exit_group(127) after
 * recording the failure for the parent.
 */
static __attribute__((noinline)) int child_main(void *arg) {
  struct spawn_request *req = arg;
  uint64_t empty_mask = 0;
  long ret;

  for (int fd = 0; fd <= 2; fd++) {
    ret = raw_syscall(SYS_dup2, req->devnull, fd, 0, 0);
    if (ret < 0) goto fail;
  }
  /* Descriptors inherited by accident must not survive the exec. */
  raw_syscall(SYS_close_range, 3, ~0L, BASELINE_CLOSE_RANGE_CLOEXEC, 0);
  ret = raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&empty_mask, 0, sizeof empty_mask);
  if (ret < 0) goto fail;
  ret = raw_syscall(SYS_execve, (long)req->path, (long)req->argv, (long)req->envp, 0);
fail:
  req->child_error = ret;
  raw_syscall(SYS_exit_group, 127, 0, 0, 0);
  return 127;
}

/*
 * Calls clone3 and, in the child, runs fn(arg) on the new stack and exits
 * with its result.  The child starts at the instruction after the syscall
 * with the parent's registers except rax (zero) and rsp (the top of the new
 * stack), so fn and arg travel in r8 and r9, which the syscall preserves.
 * The stack top is 16-byte aligned, as the call instruction expects.
 */
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg) {
  register long r8 __asm__("r8") = (long)fn;
  register long r9 __asm__("r9") = (long)arg;
  long ret;

  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r9, %%rdi\n\t"
      "call *%%r8\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit_nr], %%eax\n\t"
      "syscall\n\t"
      "hlt\n"
      "1:\n\t"
      : "=a"(ret)
      : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(r8),
        "r"(r9), [exit_nr] "i"(SYS_exit_group)
      : "rcx", "r11", "memory");
  return ret;
}

/* Spawns one child and returns its pidfd, or -errno when it did not start. */
static int spawn_one(struct bench *b) {
  int pidfd = -1;
  long pid;

  b->request.child_error = 0;
  if (b->use_clone3) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD | CLONE_VM | CLONE_VFORK;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    args.stack = (uint64_t)(uintptr_t)b->stack;
    args.stack_size = CHILD_STACK_SIZE;
    pid = clone3_run(&args, child_main, &b->request);
    if (pid == -ENOSYS || pid == -EPERM) {
      /* This kernel or its seccomp filter refuses clone3: fall back for good. */
      b->use_clone3 = 0;
      return spawn_one(b);
    }
  } else {
    char *top = (char *)b->stack + CHILD_STACK_SIZE;
    pid =
        clone(child_main, top, CLONE_PIDFD | CLONE_VM | CLONE_VFORK | SIGCHLD, &b->request, &pidfd);
    if (pid < 0) pid = -errno;
  }
  if (pid < 0) return (int)pid;
  if (b->request.child_error != 0) {
    /* The child has exited already; reap it so it does not linger. */
    siginfo_t info;
    syscall(SYS_waitid, BASELINE_P_PIDFD, pidfd, &info, WEXITED, NULL);
    close(pidfd);
    return (int)b->request.child_error;
  }
  return pidfd;
}

/* Reaps the child behind pidfd with the raw waitid and closes the pidfd. */
static void reap_one(struct bench *b, int pidfd) {
  siginfo_t info;
  struct rusage usage;

  memset(&info, 0, sizeof info);
  if (syscall(SYS_waitid, BASELINE_P_PIDFD, pidfd, &info, WEXITED, &usage) < 0) {
    perror("waitid(P_PIDFD)");
    exit(1);
  }
  if (info.si_code != CLD_EXITED || info.si_status != 0) b->failures++;
  close(pidfd);
}

/* Spawns or dies with a message: a benchmark that cannot spawn has no result. */
static int must_spawn(struct bench *b) {
  int pidfd = spawn_one(b);
  if (pidfd < 0) {
    fprintf(stderr, "baseline: spawn %s: %s\n", b->request.path, strerror(-pidfd));
    exit(1);
  }
  return pidfd;
}

/* Spawns and waits for n children, one at a time. */
static void run_sequential(struct bench *b, long n) {
  for (long i = 0; i < n; i++) reap_one(b, must_spawn(b));
}

/*
 * Spawns n children while keeping k of them alive, reaping each as its pidfd
 * becomes readable.  A pidfd leaves the epoll set before it is closed, so a
 * recycled descriptor number never inherits a stale registration.
 */
static void run_inflight(struct bench *b, long n, int k) {
  struct epoll_event events[64];
  long spawned = 0, reaped = 0;
  int ep = epoll_create1(EPOLL_CLOEXEC);

  if (ep < 0) {
    perror("epoll_create1");
    exit(1);
  }
  while (reaped < n) {
    while (spawned < n && spawned - reaped < k) {
      struct epoll_event ev = {.events = EPOLLIN};
      ev.data.fd = must_spawn(b);
      if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
        perror("epoll_ctl(ADD)");
        exit(1);
      }
      spawned++;
    }
    int ready = epoll_wait(ep, events, 64, -1);
    if (ready < 0 && errno != EINTR) {
      perror("epoll_wait");
      exit(1);
    }
    for (int i = 0; i < ready; i++) {
      int pidfd = events[i].data.fd;
      epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL);
      reap_one(b, pidfd);
      reaped++;
    }
  }
  close(ep);
}

/* Allocates gib GiB and writes every byte, so the pages are really resident. */
static void make_ballast(long gib) {
  size_t size = (size_t)gib << 30;
  void *p;

  if (size == 0) return;
  p = malloc(size);
  if (p == NULL) {
    fprintf(stderr, "baseline: cannot allocate %ld GiB of ballast\n", gib);
    exit(1);
  }
  memset(p, 0x5a, size);
  ballast_keep = p;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
  fprintf(stderr,
          "usage: baseline sequential N [--ballast-gib G] [--legacy-clone]\n"
          "       baseline inflight N K [--ballast-gib G] [--legacy-clone]\n");
  exit(2);
}

/* Parses a positive integer argument or exits with the usage message. */
static long parse_count(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v <= 0) usage();
  return v;
}

int main(int argc, char **argv) {
  static char *child_argv[] = {"/bin/true", NULL};
  static char *child_envp[] = {NULL};
  struct bench b;
  long n, k = 1, gib = 0;
  int inflight, positional = 3, legacy = 0;

  if (argc < 3) usage();
  inflight = strcmp(argv[1], "inflight") == 0;
  if (!inflight && strcmp(argv[1], "sequential") != 0) usage();
  n = parse_count(argv[2]);
  if (inflight) {
    if (argc < 4) usage();
    k = parse_count(argv[3]);
    positional = 4;
  }
  for (int i = positional; i < argc; i++) {
    if (strcmp(argv[i], "--ballast-gib") == 0 && i + 1 < argc)
      gib = parse_count(argv[++i]);
    else if (strcmp(argv[i], "--legacy-clone") == 0)
      legacy = 1;
    else
      usage();
  }

  memset(&b, 0, sizeof b);
  b.use_clone3 = !legacy;
  b.request.path = child_argv[0];
  b.request.argv = child_argv;
  b.request.envp = child_envp;
  b.request.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (b.request.devnull < 0) {
    perror("/dev/null");
    return 1;
  }
  b.stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (b.stack == MAP_FAILED) {
    perror("mmap");
    return 1;
  }

  make_ballast(gib);
  long warmup = n / 10 < WARMUP_MAX ? n / 10 : WARMUP_MAX;
  run_sequential(&b, warmup);
  b.failures = 0;

  double start = now_seconds();
  if (inflight)
    run_inflight(&b, n, (int)k);
  else
    run_sequential(&b, n);
  double seconds = now_seconds() - start;

  printf(
      "{ \"rate\": %.1f, \"mode\": \"%s\", \"count\": %ld, \"inflight\": %ld, "
      "\"seconds\": %.3f, \"clone\": \"%s\", \"ballast_gib\": %ld, \"failures\": %ld }\n",
      (double)n / seconds, argv[1], n, k, seconds, b.use_clone3 ? "clone3" : "clone", gib,
      b.failures);
  return b.failures == 0 ? 0 : 1;
}
