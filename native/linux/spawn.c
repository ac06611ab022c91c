/*
 * spawn.c - the parent's side of a Linux spawn.
 *
 * clone3(CLONE_PIDFD | CLONE_VM | CLONE_VFORK) on a separate stack: the pidfd
 * exists atomically with the child, the parent's memory is not copied (the
 * cost does not grow with the heap), and the parent thread sleeps until the
 * child has exec'd or failed, so the result is known when clone returns.
 * Legacy clone(CLONE_PIDFD) stands in where clone3 is refused.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../common/table.h"

#define LINUX_STACK_SIZE (64 * 1024)

/* One child stack per spawning thread, reused: the child is gone when clone returns. */
static __thread char *linux_stack;

static char *linux_stack_top(void) {
  if (linux_stack == NULL) {
    void *p = mmap(NULL, LINUX_STACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return NULL;
    linux_stack = p;
  }
  return linux_stack + LINUX_STACK_SIZE;
}

long pp_linux_clone(int use_clone3, unsigned long long extra, pp_child_fn fn, void *arg,
                    int *pidfd) {
  char *top = linux_stack_top();
  if (top == NULL) return -ENOMEM;
  if (use_clone3) {
    struct pp_clone_args args = {0};
    args.flags = CLONE_PIDFD | CLONE_VM | CLONE_VFORK | extra;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    args.stack = (uint64_t)(uintptr_t)(top - LINUX_STACK_SIZE);
    args.stack_size = LINUX_STACK_SIZE;
    return pp_clone3(&args, fn, arg);
  }
  return pp_clone_legacy(CLONE_PIDFD | CLONE_VM | CLONE_VFORK | SIGCHLD, top, pidfd, fn, arg);
}

/* Reaps a child that failed before exec; its status is of no interest. */
static void linux_discard(int pidfd) {
  siginfo_t info;
  long r;
  do {
    r = pp_sys5(SYS_waitid, PP_P_PIDFD, pidfd, &info, WEXITED, NULL);
  } while (r == -EINTR);
  pp_sys1(SYS_close, pidfd);
}

int pp_linux_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err) {
  pp_linux_ctx ctx = {.req = req, .close_range = pp_linux_features.close_range};
  unsigned long long extra = pp_linux_features.clear_sighand ? CLONE_CLEAR_SIGHAND : 0;
  int pidfd = -1;
  sigset_t saved;
  long pid;

  if (req->nfds > PP_LINUX_MAX_FDS) {
    *err = (pp_spawn_error){-EINVAL, PP_STEP_DUP2};
    return -EINVAL;
  }
  /* Every signal stays blocked from here to the child's reset: see child.c. */
  pp_table_lock(&saved);
  pid = pp_linux_clone(pp_linux_features.clone3, extra, pp_linux_child, &ctx, &pidfd);
  if (pid == -ENOSYS || pid == -EPERM) {
    if (pp_linux_features.clone3) {
      pp_linux_features.clone3 = 0;
      pp_linux_features.clear_sighand = 0;
      pid = pp_linux_clone(0, 0, pp_linux_child, &ctx, &pidfd);
    }
  }
  if (pid < 0) {
    pp_table_unlock(&saved);
    *err = (pp_spawn_error){(int)pid, PP_STEP_CLONE};
    return (int)pid;
  }
  if (ctx.err.err != 0) {
    pp_table_unlock(&saved);
    linux_discard(pidfd);
    err->err = ctx.err.err;
    err->step = ctx.err.step;
    return err->err;
  }
  child->pid = (int)pid;
  child->fd = pidfd;
  child->backend = &pp_linux_backend;
  pp_table_insert_locked(child);
  pp_table_unlock(&saved);
  return 0;
}
