/*
 * hidden.c - hidden isolation: an intermediate task starts the child, so
 * that the child is not this process's child at all.
 *
 * The intermediate is cloned with CLONE_VM | CLONE_FILES | CLONE_FS and
 * exit signal 0, per spawn, from the spawning thread: it has everything
 * that thread has at that moment (credentials, seccomp filters, cgroup,
 * namespaces, rlimits, nice, affinity, no_new_privs, capabilities). To the
 * kernel it is a "clone child" of this process: its exit sends no signal,
 * and no waitpid(-1) sees it without __WALL or __WCLONE. It starts the
 * real child with the very clone and child-side code of a direct spawn,
 * so the child is the intermediate's child, invisible to this process's
 * waits and to its SIGCHLD handler, and its exit cannot be taken even
 * when this process ignores SIGCHLD. The intermediate waits for the child,
 * writes its status and resource usage into the region they share, and
 * exits; the event loop polls the intermediate's pidfd (or, before Linux
 * 5.3, an eventfd it writes) and reaps it with __WCLONE.
 *
 * The intermediate shares the spawning thread's memory and TLS: it makes
 * raw system calls only (pp_sys, never errno), takes no lock but the
 * futex word of its own region, and keeps every signal blocked (the
 * spawning thread blocked them before the clone), so no handler of the
 * host's, of which it holds copies, ever runs in it.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include "../common/compat.h"
#include "../common/table.h"

/*
 * The signal the intermediate gets when the thread it was started from
 * ends (PR_SET_PDEATHSIG): a real-time one, queued apart from SIGCHLD.
 */
#define HIDDEN_PDEATH_SIGNAL (_NSIG - 1)

static void hidden_lock(int *word) {
  int c = 0;
  if (__atomic_compare_exchange_n(word, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  if (c != 2) c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
  while (c != 0) {
    pp_sys4(SYS_futex, word, PP_FUTEX_WAIT_PRIVATE, 2, NULL);
    c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
  }
}

static void hidden_unlock(int *word) {
  if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2)
    pp_sys3(SYS_futex, word, PP_FUTEX_WAKE_PRIVATE, 1);
}

static void hidden_add_signal(pp_sigmask *set, int sig) {
  const unsigned bits = 8 * sizeof(set->bits[0]);
  set->bits[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
}

/* Reaps the child under the lock that kill() takes, then publishes its status. */
static void hidden_report(pp_linux_hidden *h) {
  siginfo_t info;
  struct rusage ru;
  info.si_pid = 0;
  hidden_lock(&h->lock);
  h->reaped = 1;
  long r = pp_sys5(SYS_waitid, P_PID, h->cpid, &info, WEXITED, &ru);
  hidden_unlock(&h->lock);
  if (r == 0 && info.si_pid == h->cpid) {
    pp_status_from_siginfo(&h->st, &info, &ru);
    __atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
  }
  if (h->efd >= 0) {
    uint64_t one = 1;
    pp_sys3(SYS_write, h->efd, &one, sizeof(one));
  }
}

/*
 * Waits for the child's exit without reaping it. SIGCHLD tells of the
 * child; HIDDEN_PDEATH_SIGNAL of the end of the thread this task hangs
 * from: when it is the whole process that ended (this task now hangs from
 * init), the task leaves at once, the child lives on as a direct child
 * would, and the shared memory is let go; when it is a worker thread, the
 * task stays, hanging from another thread of the process, and forwards
 * dieWithParent's signal. Returns 0 once the child has exited.
 */
static int hidden_await(pp_linux_hidden *h) {
  pp_sigmask set = {{0}};
  int forwarded = 0;
  hidden_add_signal(&set, SIGCHLD);
  hidden_add_signal(&set, HIDDEN_PDEATH_SIGNAL);
  for (;;) {
    siginfo_t info;
    info.si_pid = 0;
    long r = pp_sys5(SYS_waitid, P_PID, h->cpid, &info, WEXITED | WNOHANG | WNOWAIT, NULL);
    if (r < 0) return (int)r;
    if (info.si_pid == h->cpid) return 0;
    if (pp_sys0(SYS_getppid) != h->host_pid) return -ESRCH;
    r = pp_sys4(SYS_rt_sigtimedwait, &set, &info, NULL, (_NSIG - 1) / 8);
    if (r == HIDDEN_PDEATH_SIGNAL && h->die_signal != 0 && !forwarded) {
      pp_sys2(SYS_kill, h->cpid, h->die_signal);
      forwarded = 1;
    }
  }
}

/*
 * The intermediate's whole life: start the child (the same child-side code
 * as a direct spawn), wait for it, report. The child is not started with
 * CLONE_VFORK: the kernel itself tells the spawning thread when the child
 * has exec'd (or exited), through CLONE_CHILD_CLEARTID on exec_word, so
 * that the spawning thread does not wait for this task to be scheduled
 * again first. Its SIGCHLD disposition is a copy of the host's: SIG_IGN or
 * SA_NOCLDWAIT there would have the kernel discard the child's exit, so it
 * goes back to the default first. Every other handler stays blocked.
 */
__attribute__((noinline)) static int hidden_intermediate(void *arg) {
  pp_linux_region *region = arg;
  pp_linux_hidden *h = &region->hidden;
  struct pp_kernel_sigaction dfl = {0};
  dfl.handler = SIG_DFL;
  pp_sys4(SYS_rt_sigaction, SIGCHLD, &dfl, NULL, sizeof(dfl.mask));
  pp_sys2(SYS_prctl, PR_SET_PDEATHSIG, HIDDEN_PDEATH_SIGNAL);
  h->ctx.parent_pid = (int)pp_sys0(SYS_getpid);

  pp_linux_clone_req req = {
      .flags = CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | h->child_extra,
      .exit_signal = SIGCHLD,
      .stack = region->child_stack,
      .size = PP_LINUX_CHILD_STACK,
      .fn = h->child_fn,
      .arg = &h->ctx,
      .parent_tid = &h->cpid,
      .child_tid = &h->exec_word,
  };
  long cpid = pp_linux_clone(h->use_clone3, &req);
  if (h->use_clone3 && (cpid == -ENOSYS || cpid == -EPERM)) cpid = pp_linux_clone(0, &req);
  if (cpid < 0) {
    /* No child will clear exec_word: say so, and tell the spawning thread. */
    h->ctx.err.err = (int)cpid;
    h->ctx.err.step = PP_STEP_CLONE;
    __atomic_store_n(&h->exec_word, 0, __ATOMIC_RELEASE);
    pp_sys3(SYS_futex, &h->exec_word, PP_FUTEX_WAKE, 1);
  } else if (hidden_await(h) == 0) {
    /* A child that failed before exec is reaped here too; the spawning thread waits for it. */
    hidden_report(h);
  }
  pp_sys1(SYS_exit_group, 0);
  return 0;
}

/* 1 when the intermediate has exited (it is a zombie, or gone). */
static int hidden_intermediate_exited(int ipid) {
  siginfo_t info;
  info.si_pid = 0;
  long r = pp_sys5(SYS_waitid, P_PID, ipid, &info, WEXITED | __WCLONE | WNOHANG | WNOWAIT, NULL);
  return r < 0 || info.si_pid == ipid;
}

long pp_linux_hidden_start(pp_linux_region *region, int *pidfd) {
  pp_linux_hidden *h = &region->hidden;
  pp_linux_clone_req req = {
      .flags = CLONE_FILES | CLONE_FS | (pidfd != NULL ? CLONE_PIDFD : 0),
      .exit_signal = 0,
      .stack = region->intermediate_stack,
      .size = PP_LINUX_INTERMEDIATE_STACK,
      .fn = hidden_intermediate,
      .arg = region,
      .pidfd = pidfd,
  };
  int use_clone3 = pp_linux_features.clone3;
  h->exec_word = -1;
  /*
   * Pinned to this CPU for the clone, the intermediate, and the child it
   * starts, run here as soon as this thread waits, instead of queueing each
   * behind a busy CPU's tasks; the child takes the thread's mask back
   * before exec.
   */
  int pinned = pp_linux_pin(&h->ctx, h->affinity, sizeof(h->affinity));
  long ipid = pp_linux_clone(use_clone3, &req);
  if (use_clone3 && (ipid == -ENOSYS || ipid == -EPERM)) ipid = pp_linux_clone(0, &req);
  if (pinned) pp_linux_unpin(&h->ctx);
  if (ipid < 0) return ipid;
  /*
   * Until the child has exec'd or failed. The wait is bounded, so that an
   * intermediate killed before its child starts is noticed. The kernel
   * wakes a shared futex for CLONE_CHILD_CLEARTID: this wait is shared too.
   */
  struct timespec tick = {0, 50 * 1000 * 1000};
  while (__atomic_load_n(&h->exec_word, __ATOMIC_ACQUIRE) != 0) {
    pp_sys4(SYS_futex, &h->exec_word, PP_FUTEX_WAIT, -1, &tick);
    if (__atomic_load_n(&h->exec_word, __ATOMIC_ACQUIRE) != 0 &&
        hidden_intermediate_exited((int)ipid)) {
      h->ctx.err.err = -ESRCH;
      h->ctx.err.step = PP_STEP_INTERMEDIATE;
      break;
    }
  }
  return ipid;
}

int pp_linux_hidden_reap_intermediate(int ipid, int pidfd, int nohang) {
  siginfo_t info;
  long r;
  info.si_pid = 0;
  do {
    r = pp_sys5(SYS_waitid, pidfd >= 0 ? PP_P_PIDFD : P_PID, pidfd >= 0 ? pidfd : ipid, &info,
                WEXITED | __WCLONE | (nohang ? WNOHANG : 0), NULL);
  } while (r == -EINTR);
  /* ECHILD: a wait with __WALL that bypassed the table took it; it had exited. */
  if (r == -ECHILD) return 1;
  if (r < 0) return (int)r;
  return info.si_pid != 0;
}

int pp_linux_hidden_try_reap(pp_child *child, pp_status *st) {
  pp_linux_hidden *h = &((pp_linux_region *)child->priv)->hidden;
  pp_sigmask saved;
  int r = 1;
  if (pp_table_take_stash(child, st) == 0) return 0;
  pp_table_lock(&saved);
  if (child->in_table) {
    int pidfd = h->efd < 0 ? child->fd : -1;
    r = pp_linux_hidden_reap_intermediate(child->reap_pid, pidfd, 1);
    /* Without a pidfd the eventfd comes just before the exit: wait out the rest. */
    if (r == 0 && pidfd < 0 && __atomic_load_n(&h->done, __ATOMIC_ACQUIRE))
      r = pp_linux_hidden_reap_intermediate(child->reap_pid, -1, 0);
    if (r != 0) pp_table_remove_locked(child);
  }
  pp_table_unlock(&saved);
  if (r <= 0) return r == 0 ? -EAGAIN : r;
  /* The intermediate is gone: the region is this process's alone again. */
  h->intermediate_gone = 1;
  /* An intermediate that ended before its child (killed) took the status with it. */
  if (!__atomic_load_n(&h->done, __ATOMIC_ACQUIRE)) return -ECHILD;
  *st = h->st;
  return 0;
}

int pp_linux_hidden_signal(pp_child *child, int sig, int flags) {
  pp_linux_hidden *h = &((pp_linux_region *)child->priv)->hidden;
  long r = -ESRCH;
  hidden_lock(&h->lock);
  /* Reaped, or orphaned by an intermediate that was killed: the pid may be anyone's. */
  if (!h->reaped && !h->intermediate_gone && !hidden_intermediate_exited(child->reap_pid))
    r = pp_sys2(SYS_kill, (flags & PP_SIGNAL_GROUP) ? -h->cpid : h->cpid, sig);
  hidden_unlock(&h->lock);
  return (int)r;
}
