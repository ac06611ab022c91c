/*
 * sys.h - raw Linux system calls and the constants that older headers lack.
 *
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   pidfd_send_signal               5.1      kill() without pid reuse
 *   clone3, CLONE_PIDFD (clone)     5.3/5.2  the pidfd exists with the child
 *   pidfd_open                      5.3      adopting a child, the probe
 *   waitid(P_PIDFD)                 5.4      reaping through the pidfd
 *   CLONE_CLEAR_SIGHAND             5.5      handlers reset at clone time
 *   CLONE_INTO_CGROUP (clone3)      5.7      the child starts in its cgroup
 *   close_range                     5.9      no fd leaks into the child
 *   CLOSE_RANGE_CLOEXEC             5.11     ... closed by exec, off the parent's wait
 *   PIDFD_SIGNAL_PROCESS_GROUP      6.9      a detached child's group, atomically
 *   MADV_GUARD_INSTALL              6.13     guard pages inside one mapping (stack.c)
 *   PIDFD_GET_INFO + PIDFD_INFO_EXIT 6.15    the status after a theft
 *
 * Hidden isolation needs none of them: clone with exit signal 0, futexes
 * and eventfds are as old as the kernels Node runs on (4.18).
 *
 * The child side and the intermediate task of hidden isolation share the
 * spawning thread's TLS, so they must not write errno: pp_sys() returns
 * -errno itself. On architectures without an inline version it falls back
 * to syscall(2) and puts errno back as it found it.
 */
#ifndef PP_LINUX_SYS_H
#define PP_LINUX_SYS_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define PP_CLOSE_RANGE_UNSHARE (1U << 1)
#define PP_CLOSE_RANGE_CLOEXEC (1U << 2)

/* madvise's advice that makes pages guard pages without a mapping of their own (6.13). */
#define PP_MADV_GUARD_INSTALL 102

/*
 * The 32-bit id calls. On i386 and 32-bit ARM the plain numbers are the
 * 16-bit calls of the 1990s, which would take uid 131072 for 0.
 */
#ifdef SYS_setresuid32
#define PP_SYS_setresuid SYS_setresuid32
#define PP_SYS_setresgid SYS_setresgid32
#define PP_SYS_getresuid SYS_getresuid32
#define PP_SYS_getresgid SYS_getresgid32
#define PP_SYS_setgroups SYS_setgroups32
#define PP_SYS_getgroups SYS_getgroups32
#else
#define PP_SYS_setresuid SYS_setresuid
#define PP_SYS_setresgid SYS_setresgid
#define PP_SYS_getresuid SYS_getresuid
#define PP_SYS_getresgid SYS_getresgid
#define PP_SYS_setgroups SYS_setgroups
#define PP_SYS_getgroups SYS_getgroups
#endif

/* prlimit64's struct rlimit64: 64-bit fields on every architecture. */
struct pp_rlimit64 {
  uint64_t cur;
  uint64_t max;
};

/* The ambient capability set (4.3) and capget/capset's version 3 structures. */
#define PP_PR_CAP_AMBIENT 47
#define PP_PR_CAP_AMBIENT_RAISE 2
#define PP_PR_CAP_AMBIENT_CLEAR_ALL 4
#define PP_CAP_VERSION_3 0x20080522

struct pp_cap_header {
  uint32_t version;
  int pid;
};

struct pp_cap_data {
  uint32_t effective;
  uint32_t permitted;
  uint32_t inheritable;
};

/*
 * Futex operations on a word shared with a task of the same address space;
 * the shared ones on a word the kernel wakes (CLONE_CHILD_CLEARTID).
 */
#define PP_FUTEX_WAIT 0
#define PP_FUTEX_WAKE 1
#define PP_FUTEX_WAIT_PRIVATE 128
#define PP_FUTEX_WAKE_PRIVATE 129

/* pidfd_send_signal's flag for the target's process group (6.9). */
#define PP_PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
/* waitid's idtype for a pidfd (5.4); newer C libraries name it P_PIDFD too. */
#define PP_P_PIDFD 3

/* The PIDFD_GET_INFO ioctl (6.13) and its exit field (6.15). */
#define PP_PIDFD_INFO_EXIT (1ULL << 3)

/* pp_pidfd_info is the first version of struct pidfd_info (64 bytes). */
struct pp_pidfd_info {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};

#define PP_PIDFD_GET_INFO _IOWR(0xFF, 11, struct pp_pidfd_info)

/*
 * pp_clone_args mirrors struct clone_args up to CLONE_ARGS_SIZE_VER2
 * (cgroup, 5.7); a clone without CLONE_INTO_CGROUP passes the first
 * PP_CLONE_ARGS_SIZE_VER0 bytes only, as every kernel since 5.3 takes.
 */
struct pp_clone_args {
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

#define PP_CLONE_ARGS_SIZE_VER0 64
#define PP_CLONE_ARGS_SIZE_VER2 88
#define PP_CLONE_INTO_CGROUP 0x200000000ULL
#define PP_CGROUP2_SUPER_MAGIC 0x63677270

/* pp_kernel_sigaction is the kernel's struct sigaction for rt_sigaction. */
struct pp_kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};

#define PP_KERNEL_NSIG 64

#if defined(__x86_64__)

static inline long pp_sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

#elif defined(__aarch64__)

static inline long pp_sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}

#else

static inline long pp_sys6(long n, long a, long b, long c, long d, long e, long f) {
  int saved = errno;
  long ret = syscall(n, a, b, c, d, e, f);
  if (ret == -1) ret = -errno;
  errno = saved;
  return ret;
}

#endif

#define pp_sys0(n) pp_sys6((n), 0, 0, 0, 0, 0, 0)
#define pp_sys1(n, a) pp_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define pp_sys2(n, a, b) pp_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define pp_sys3(n, a, b, c) pp_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define pp_sys4(n, a, b, c, d) pp_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define pp_sys5(n, a, b, c, d, e) \
  pp_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* The child function that pp_clone runs on the new stack; it never returns. */
typedef int (*pp_child_fn)(void *arg);

/* pp_clone3 runs fn(arg) in a child made by clone3 (size bytes of args); returns its pid or -errno.
 */
long pp_clone3(struct pp_clone_args *args, long size, pp_child_fn fn, void *arg);

/*
 * pp_clone_legacy does the same through clone(2): ptid is the pidfd's or
 * the parent's copy of the child's tid, ctid the child's. The C library's
 * wrapper may write errno on failure: it is put back.
 */
long pp_clone_legacy(unsigned long flags, void *stack_top, int *ptid, int *ctid, pp_child_fn fn,
                     void *arg);

#endif
