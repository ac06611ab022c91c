/*
 * seccomp-run.c: runs a program under a seccomp filter that refuses chosen system calls.
 *
 *   seccomp-run [--fail NAME=ERRNO]... [--trap-kill NAME]... -- program args...
 *
 * --fail makes NAME return -1 with ERRNO (SECCOMP_RET_ERRNO), as Docker's default profile does for
 * clone3 (ENOSYS) and as old kernels or sandboxes do for the pidfd calls. --trap-kill raises SIGSYS
 * instead (SECCOMP_RET_TRAP), as Android's policy does; unless the program handles SIGSYS it dies
 * of it, and ignoring SIGSYS does not help, because the kernel resets an ignored or blocked SIGSYS
 * to SIG_DFL before forcing it. NAME is one of clone3, clone, pidfd_open, pidfd_send_signal,
 * waitid, waitid:P_PIDFD (waitid on a pidfd only, as before Linux 5.4), close_range, setgroups,
 * setresgid, setresuid, kill:GROUP (kill given a negative pid: a process group),
 * pidfd_send_signal:GROUP (given PIDFD_SIGNAL_PROCESS_GROUP), clone3:VER0 (clone3 given the 64-byte
 * clone_args the package passes; glibc passes more), or ioctl:PIDFD_GET_INFO (an ioctl whose
 * request has type 0xFF and number 11, any size or direction), or madvise:GUARD_INSTALL (madvise
 * given MADV_GUARD_INSTALL, as before Linux 6.13). ERRNO is a name (ENOSYS, EPERM,
 * ENOTTY, EINVAL, ...) or a number. rt_sigtimedwait is a NAME too.
 *
 * The filter only judges calls of the build's native architecture; anything else is allowed. It is
 * inherited by the program and by everything it starts. Exit status: 125 for a usage or setup
 * error, 127 when the program cannot be executed, otherwise the program's own.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define RUN_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RUN_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-run supports x86_64 and aarch64 only"
#endif

/*
 * The low 32 bits of a 64-bit syscall argument, which is what BPF_W loads, sit first on
 * little-endian.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RUN_ARG_LOW(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(__u64))
#else
#define RUN_ARG_LOW(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(__u64) + sizeof(__u32))
#endif

/*
 * The ioctl type and number of PIDFD_GET_INFO, _IOWR(0xFF, 11, struct pidfd_info), size excluded.
 */
#define RUN_PIDFD_GET_INFO_TYPE_NR 0xFF0Bu
#define RUN_IOCTL_PIDFD_GET_INFO (-1L)
/* clone3 with the 64-byte struct clone_args the package passes (glibc threads pass 88). */
#define RUN_CLONE3_VER0 (-2L)
#define RUN_CLONE_ARGS_SIZE_VER0 64u
/* waitid(P_PIDFD, ...) only, as a kernel before 5.4 refuses it (EINVAL); P_PID and P_ALL still
 * work. */
#define RUN_WAITID_P_PIDFD (-3L)
#define RUN_P_PIDFD 3u
/* waitid(P_PGID, 0, ...): "the caller's group" only since 5.4. */
#define RUN_WAITID_P_PGID0 (-4L)
#define RUN_P_PGID 2u
/* clone(2) with CLONE_PIDFD in its flags, as before 5.2. */
#define RUN_CLONE_PIDFD (-5L)
/* A signal to a process group: kill(2) given a negative pid, pidfd_send_signal(2) given
 * PIDFD_SIGNAL_PROCESS_GROUP; what a kernel may refuse while it lets a single process be signalled.
 */
#define RUN_KILL_GROUP (-6L)
#define RUN_PIDFD_SIGNAL_GROUP (-7L)
/* madvise(2) given MADV_GUARD_INSTALL, which kernels before 6.13 refuse (EINVAL). */
#define RUN_MADVISE_GUARD_INSTALL (-8L)
#define RUN_MADV_GUARD_INSTALL 102u

/* Rules that match a system call only when one of these bits is set in the low 32 bits of one of
 * its arguments. */
static const struct {
  long rule;
  long nr;
  unsigned arg;
  __u32 bits;
} run_bit_rules[] = {
    {RUN_CLONE_PIDFD, SYS_clone, 0, 0x1000u /* CLONE_PIDFD */},
    {RUN_KILL_GROUP, SYS_kill, 0, 0x80000000u /* the sign of the pid */},
    {RUN_PIDFD_SIGNAL_GROUP, SYS_pidfd_send_signal, 3, 1u << 2 /* PIDFD_SIGNAL_PROCESS_GROUP */},
};

#define RUN_MAX_RULES 32
#define RUN_MAX_INSNS (4 + RUN_MAX_RULES * 7)
#define RUN_USAGE_ERROR 125

/* One refused system call: its number (or RUN_IOCTL_PIDFD_GET_INFO) and the seccomp action. */
typedef struct {
  long nr;
  __u32 action;
} run_rule;

/* Maps the accepted rule names to system call numbers. */
static const struct {
  const char *name;
  long nr;
} run_syscalls[] = {
    {"clone3", SYS_clone3},
    {"clone", SYS_clone},
    {"pidfd_open", SYS_pidfd_open},
    {"pidfd_send_signal", SYS_pidfd_send_signal},
    {"waitid", SYS_waitid},
    {"close_range", SYS_close_range},
    {"setgroups", SYS_setgroups},
    {"setresgid", SYS_setresgid},
    {"setresuid", SYS_setresuid},
    {"rt_sigtimedwait", SYS_rt_sigtimedwait},
    {"capset", SYS_capset},
    {"prctl", SYS_prctl},
    {"prlimit64", SYS_prlimit64},
    {"setpriority", SYS_setpriority},
    {"ioctl:PIDFD_GET_INFO", RUN_IOCTL_PIDFD_GET_INFO},
    {"clone3:VER0", RUN_CLONE3_VER0},
    {"waitid:P_PIDFD", RUN_WAITID_P_PIDFD},
    {"waitid:P_PGID0", RUN_WAITID_P_PGID0},
    {"clone:PIDFD", RUN_CLONE_PIDFD},
    {"kill:GROUP", RUN_KILL_GROUP},
    {"pidfd_send_signal:GROUP", RUN_PIDFD_SIGNAL_GROUP},
    {"madvise:GUARD_INSTALL", RUN_MADVISE_GUARD_INSTALL},
};

/* Maps the errno names accepted by --fail to their values. */
static const struct {
  const char *name;
  int value;
} run_errnos[] = {
    {"ENOSYS", ENOSYS}, {"EPERM", EPERM},   {"ENOTTY", ENOTTY}, {"EINVAL", EINVAL},
    {"EACCES", EACCES}, {"ENOMEM", ENOMEM}, {"EAGAIN", EAGAIN}, {"EBADF", EBADF},
};

/* Prints the usage line and a reason, then exits with the usage error status. */
static void run_usage(const char *reason, const char *detail) {
  fprintf(stderr, "seccomp-run: %s%s%s\n", reason, detail != NULL ? ": " : "",
          detail != NULL ? detail : "");
  fprintf(stderr,
          "usage: seccomp-run [--fail NAME=ERRNO]... [--trap-kill NAME]... -- program args...\n");
  exit(RUN_USAGE_ERROR);
}

/* Returns the system call number for a rule name, or exits with a usage error. */
static long run_lookup_syscall(const char *name) {
  for (size_t i = 0; i < sizeof run_syscalls / sizeof run_syscalls[0]; i++) {
    if (strcmp(run_syscalls[i].name, name) == 0) {
      return run_syscalls[i].nr;
    }
  }
  run_usage("unknown system call", name);
  return 0;
}

/*
 * Returns the errno value for a name or a decimal number in 1..4095, or exits with a usage error.
 */
static int run_lookup_errno(const char *text) {
  for (size_t i = 0; i < sizeof run_errnos / sizeof run_errnos[0]; i++) {
    if (strcmp(run_errnos[i].name, text) == 0) {
      return run_errnos[i].value;
    }
  }
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 1 || value > SECCOMP_RET_DATA) {
    run_usage("unknown errno", text);
  }
  return (int)value;
}

/* Parses "NAME=ERRNO" into a SECCOMP_RET_ERRNO rule. */
static run_rule run_parse_fail(char *spec) {
  char *equals = strrchr(spec, '=');
  if (equals == NULL) {
    run_usage("--fail expects NAME=ERRNO", spec);
  }
  *equals = '\0';
  run_rule rule = {
      .nr = run_lookup_syscall(spec),
      .action = SECCOMP_RET_ERRNO | ((__u32)run_lookup_errno(equals + 1) & SECCOMP_RET_DATA),
  };
  return rule;
}

/* The index of rule in run_bit_rules, or -1 when it is not one of them. */
static int run_bit_rule(long rule) {
  for (size_t i = 0; i < sizeof run_bit_rules / sizeof run_bit_rules[0]; i++) {
    if (run_bit_rules[i].rule == rule) {
      return (int)i;
    }
  }
  return -1;
}

/* Builds one BPF statement or conditional jump as a value. */
#define RUN_STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define RUN_JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))

/*
 * Builds the filter into `program` (sized for RUN_MAX_RULES) and returns its length: allow foreign
 * architectures, then one block per rule (each reloads the syscall number, so blocks are
 * independent and every jump is short), then allow. x32 system call numbers (with
 * __X32_SYSCALL_BIT) share the x86_64 audit arch but never equal a rule's number, so they are
 * allowed too.
 */
static size_t run_build_filter(const run_rule *rules, size_t count, struct sock_filter *program) {
  size_t n = 0;
  program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_AUDIT_ARCH, 1, 0);
  program[n++] = RUN_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  for (size_t i = 0; i < count; i++) {
    program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (rules[i].nr == RUN_WAITID_P_PIDFD) {
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_waitid, 0, 3);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(0));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_P_PIDFD, 0, 1);
    } else if (rules[i].nr == RUN_MADVISE_GUARD_INSTALL) {
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 3);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(2));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_MADV_GUARD_INSTALL, 0, 1);
    } else if (rules[i].nr == RUN_WAITID_P_PGID0) {
      /* waitid, then its idtype P_PGID, then its id 0; skip to the next block otherwise. */
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_waitid, 0, 5);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(0));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_P_PGID, 0, 3);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(1));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
    } else if (run_bit_rule(rules[i].nr) >= 0) {
      /* The system call, then the bits of its argument; skip to the next block otherwise. */
      size_t b = (size_t)run_bit_rule(rules[i].nr);
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)run_bit_rules[b].nr, 0, 3);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(run_bit_rules[b].arg));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JSET | BPF_K, run_bit_rules[b].bits, 0, 1);
    } else if (rules[i].nr == RUN_CLONE3_VER0) {
      /* Match clone3 given the 64-byte first version of struct clone_args, as the package
       * passes it; the C library's threads pass a larger one and are left alone. */
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 3);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(1));
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_CLONE_ARGS_SIZE_VER0, 0, 1);
    } else if (rules[i].nr == RUN_IOCTL_PIDFD_GET_INFO) {
      /* Match ioctl, then its request's type and number, skipping to the next block otherwise. */
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4);
      program[n++] = RUN_STMT(BPF_LD | BPF_W | BPF_ABS, RUN_ARG_LOW(1));
      program[n++] = RUN_STMT(BPF_ALU | BPF_AND | BPF_K, 0xFFFFu);
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUN_PIDFD_GET_INFO_TYPE_NR, 0, 1);
    } else {
      program[n++] = RUN_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)rules[i].nr, 0, 1);
    }
    program[n++] = RUN_STMT(BPF_RET | BPF_K, rules[i].action);
  }
  program[n++] = RUN_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  return n;
}

/* Installs the filter on this single-threaded process, so TSYNC is not needed. */
static void run_install(struct sock_filter *program, size_t length) {
  struct sock_fprog fprog = {.len = (unsigned short)length, .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
    perror("seccomp-run: prctl(PR_SET_NO_NEW_PRIVS)");
    exit(RUN_USAGE_ERROR);
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == -1) {
    perror("seccomp-run: seccomp(SECCOMP_SET_MODE_FILTER)");
    exit(RUN_USAGE_ERROR);
  }
}

/* Parses the rules, installs the filter and executes the program. */
int main(int argc, char **argv) {
  run_rule rules[RUN_MAX_RULES];
  struct sock_filter program[RUN_MAX_INSNS];
  size_t count = 0;
  int i = 1;

  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (count == RUN_MAX_RULES) {
      run_usage("too many rules", NULL);
    }
    if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc) {
      rules[count++] = run_parse_fail(argv[++i]);
    } else if (strcmp(argv[i], "--trap-kill") == 0 && i + 1 < argc) {
      rules[count].nr = run_lookup_syscall(argv[++i]);
      rules[count++].action = SECCOMP_RET_TRAP;
    } else {
      run_usage("unexpected argument", argv[i]);
    }
  }
  if (i + 1 >= argc) {
    run_usage("missing -- program", NULL);
  }
  run_install(program, run_build_filter(rules, count, program));
  execvp(argv[i + 1], &argv[i + 1]);
  fprintf(stderr, "seccomp-run: cannot execute %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}
