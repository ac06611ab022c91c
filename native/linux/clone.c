/*
 * clone.c - starting a child on a separate stack with clone3 or clone.
 *
 * A raw clone3 with a new stack returns in the child on that stack, inside
 * whatever function made the system call: the child cannot return from it,
 * so the system call and the call of the child function are one piece of
 * assembly per architecture. Elsewhere clone3 is reported missing and the
 * C library's clone() wrapper, which does the same for legacy clone, is used.
 *
 * pp_linux_clone, the one way every task of the backend is started (a
 * direct child, an intermediate, the child an intermediate starts), runs
 * in the spawning thread and in an intermediate alike.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <sched.h>

#if defined(__x86_64__)

long pp_clone3(struct pp_clone_args *args, long size, pp_child_fn fn, void *arg) {
  /* r12 and r13 survive the system call in both processes. */
  register long rax __asm__("rax") = SYS_clone3;
  register void *rdi __asm__("rdi") = args;
  register long rsi __asm__("rsi") = size;
  register pp_child_fn r12 __asm__("r12") = fn;
  register void *r13 __asm__("r13") = arg;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      /* The child: a fresh frame on the new stack, then fn(arg), then exit. */
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov $60, %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "+r"(rax)
      : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory");
  return rax;
}

#elif defined(__aarch64__)

long pp_clone3(struct pp_clone_args *args, long size, pp_child_fn fn, void *arg) {
  /* x19 and x20 survive the system call in both processes. */
  register long x8 __asm__("x8") = SYS_clone3;
  register long x0 __asm__("x0") = (long)args;
  register long x1 __asm__("x1") = size;
  register pp_child_fn x19 __asm__("x19") = fn;
  register void *x20 __asm__("x20") = arg;
  __asm__ volatile(
      "svc #0\n\t"
      "cbnz x0, 1f\n\t"
      "mov x29, #0\n\t"
      "mov x30, #0\n\t"
      "mov x0, x20\n\t"
      "blr x19\n\t"
      "mov x8, #93\n\t"
      "svc #0\n\t"
      "brk #0\n\t"
      "1:\n\t"
      : "+r"(x0)
      : "r"(x8), "r"(x1), "r"(x19), "r"(x20)
      : "x30", "memory");
  return x0;
}

#else

long pp_clone3(struct pp_clone_args *args, long size, pp_child_fn fn, void *arg) {
  (void)args;
  (void)size;
  (void)fn;
  (void)arg;
  return -ENOSYS;
}

#endif

long pp_clone_legacy(unsigned long flags, void *stack_top, int *ptid, int *ctid, pp_child_fn fn,
                     void *arg) {
  int saved = errno;
  long pid = clone(fn, stack_top, (int)flags, arg, ptid, NULL, ctid);
  if (pid < 0) pid = -errno;
  errno = saved;
  return pid;
}

int pp_linux_clone_step(const pp_linux_clone_req *req, long err) {
  if (req->cgroup_fd == NULL || err == -EAGAIN || err == -ENOMEM) return PP_STEP_CLONE;
  return PP_STEP_CGROUP;
}

long pp_linux_clone(int use_clone3, const pp_linux_clone_req *req) {
  unsigned long long flags = req->flags | CLONE_VM;
  if (use_clone3) {
    struct pp_clone_args args = {0};
    args.flags = flags;
    args.pidfd = (uint64_t)(uintptr_t)req->pidfd;
    args.parent_tid = (uint64_t)(uintptr_t)req->parent_tid;
    args.child_tid = (uint64_t)(uintptr_t)req->child_tid;
    args.exit_signal = (uint64_t)req->exit_signal;
    args.stack = (uint64_t)(uintptr_t)req->stack;
    args.stack_size = req->size;
    if (req->cgroup_fd != NULL) {
      struct pp_clone_args placed = args;
      placed.flags |= PP_CLONE_INTO_CGROUP;
      placed.cgroup = (uint64_t)*req->cgroup_fd;
      long pid = pp_clone3(&placed, PP_CLONE_ARGS_SIZE_VER2, req->fn, req->arg);
      if (pid != -EINVAL && pid != -E2BIG) return pid;
    }
    return pp_clone3(&args, PP_CLONE_ARGS_SIZE_VER0, req->fn, req->arg);
  }
  flags &= 0xffffffffULL;
  return pp_clone_legacy((unsigned long)flags | (unsigned long)req->exit_signal,
                         req->stack + req->size, req->pidfd != NULL ? req->pidfd : req->parent_tid,
                         req->child_tid, req->fn, req->arg);
}
