/*
 * intermediate.c - the intermediate task of a hidden spawn, from its clone
 * to its exit.
 *
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   rt_sigqueueinfo, si_code < 0    2.6.39   a signal forwarded with its sender's pid
 *   set_robust_list                 2.6.17   the lock word, should this task die (lock.c)
 *   PR_SET_NAME                     2.6.9    "pp-intermediate" in ps and top
 *   close_range, CLOSE_RANGE_UNSHARE 5.9     a descriptor table of its own, empty
 *
 * It shares the spawning thread's memory and TLS: it makes raw system
 * calls only (pp_sys, never errno), takes no lock but the futex word of
 * its own region, and keeps every signal blocked (the spawning thread
 * blocked them before the clone), so no handler of the host's, of which
 * it holds copies, ever runs in it.
 *
 * It stands in for this process as the child's parent: what the child
 * sends its parent (kill -USR1 $PPID, a readiness protocol) is forwarded
 * to this process. So that what reaches this process through its process
 * group (a terminal's ^C, kill(0) from the child, kill -TERM -PGID) is not
 * forwarded a second time, the intermediate leaves that group for one of
 * its own as soon as the child, which stays in it, is started.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../common/compat.h"

/*
 * The signal the intermediate gets when the thread it was started from
 * ends (PR_SET_PDEATHSIG): a real-time one, queued apart from SIGCHLD.
 */
#define HIDDEN_PDEATH_SIGNAL (_NSIG - 1)

/* How long the intermediate sleeps between looks where it may not wait for signals. */
#define HIDDEN_POLL_NS (10 * 1000 * 1000)

/* Every signal but SIGKILL and SIGSTOP, which no task can wait for; and those in except. */
static pp_sigmask hidden_signals(int except1, int except2) {
  const unsigned bits = 8 * sizeof(unsigned long);
  pp_sigmask set = {{0}};
  for (int sig = 1; sig < _NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == except1 || sig == except2) continue;
    set.bits[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
  }
  return set;
}

/* 1 once the child has exited (it is not reaped). */
static int hidden_child_exited(const pp_linux_hidden *h) {
  siginfo_t info;
  info.si_pid = 0;
  long r = pp_sys5(SYS_waitid, P_PID, h->cpid, &info, WEXITED | WNOHANG | WNOWAIT, NULL);
  return r < 0 || info.si_pid == h->cpid;
}

/* Sends the child dieWithParent's signal once, when the thread that spawned it has ended. */
static void hidden_die_with_parent(const pp_linux_hidden *h, int *done) {
  if (h->die_signal == 0 || *done) return;
  pp_sys2(SYS_kill, h->cpid, h->die_signal);
  *done = 1;
}

/*
 * Forwards a signal this task received to this process, as it was sent:
 * rt_sigqueueinfo keeps si_pid, si_uid and the value. The kernel takes a
 * si_code from another process only when it is negative and not SI_TKILL
 * (sigqueue()'s SI_QUEUE): a kill() (SI_USER), a tkill() or a signal the
 * kernel sent reaches this process as SI_QUEUE, from the same sender.
 * This process's pid is checked first: it cannot be another's before the
 * kernel has moved this task to a new parent.
 */
static void hidden_forward(const pp_linux_hidden *h, int sig, siginfo_t *info) {
  if (info->si_code >= 0 || info->si_code == SI_TKILL) info->si_code = SI_QUEUE;
  if (pp_sys0(SYS_getppid) == h->host_pid) pp_sys3(SYS_rt_sigqueueinfo, h->host_pid, sig, info);
}

/*
 * Acts on one signal taken: the child's own SIGCHLD (the kernel sent it,
 * si_code > 0) and the end of the spawning thread are this task's; every
 * other signal is forwarded, where the task left this process's group.
 */
static void hidden_take(pp_linux_hidden *h, int sig, siginfo_t *info, int *die_sent) {
  if (sig == SIGCHLD && info->si_code > 0) return;
  if (sig == HIDDEN_PDEATH_SIGNAL && info->si_code == SI_USER && info->si_pid == h->host_pid)
    hidden_die_with_parent(h, die_sent);
  else if (h->forwards)
    hidden_forward(h, sig, info);
}

/* Takes, without waiting, every pending signal of set: forwarded, or only dropped. */
static void hidden_drain(pp_linux_hidden *h, const pp_sigmask *set, int forward, int *die_sent) {
  struct timespec zero = {0, 0};
  siginfo_t info;
  long sig;
  while ((sig = pp_sys4(SYS_rt_sigtimedwait, set, &info, &zero, (_NSIG - 1) / 8)) > 0) {
    if (forward) hidden_take(h, (int)sig, &info, die_sent);
  }
}

/*
 * hidden_await where rt_sigtimedwait is refused (a seccomp filter): a
 * sleep at a time on a futex word of its own, then a look at the child,
 * the host and the pending signals, which cannot be taken, nor forwarded.
 */
static int hidden_await_polling(pp_linux_hidden *h, int *die_sent) {
  struct timespec tick = {0, HIDDEN_POLL_NS};
  const unsigned bits = 8 * sizeof(unsigned long);
  int word = 0;
  for (;;) {
    pp_sigmask pending = {{0}};
    if (hidden_child_exited(h)) return 0;
    if (pp_sys0(SYS_getppid) != h->host_pid) return -ESRCH;
    pp_sys2(SYS_rt_sigpending, &pending, (_NSIG - 1) / 8);
    if (pending.bits[(HIDDEN_PDEATH_SIGNAL - 1) / bits] &
        (1UL << ((HIDDEN_PDEATH_SIGNAL - 1) % bits)))
      hidden_die_with_parent(h, die_sent);
    pp_sys4(SYS_futex, &word, PP_FUTEX_WAIT_PRIVATE, 0, &tick);
  }
}

/*
 * Waits for the child's exit without reaping it, forwarding what else
 * comes. HIDDEN_PDEATH_SIGNAL tells of the end of the thread this task
 * hangs from: when it is the whole process that ended (this task now
 * hangs from init), the task leaves at once, the child lives on as a
 * direct child would, and the shared memory is let go; when it is a
 * worker thread, the task stays, hanging from another thread of the
 * process, and forwards dieWithParent's signal. What the child sent before
 * it exited is pending by then, and forwarded too. Returns 0 once the
 * child has exited.
 */
static int hidden_await(pp_linux_hidden *h) {
  pp_sigmask set = hidden_signals(0, 0);
  int die_sent = 0;
  for (;;) {
    siginfo_t info;
    if (pp_sys0(SYS_getppid) != h->host_pid) return -ESRCH;
    long sig = pp_sys4(SYS_rt_sigtimedwait, &set, &info, NULL, (_NSIG - 1) / 8);
    if (sig == -EINTR || sig == -EAGAIN) continue;
    /* Refused: a spin here would take a CPU for the child's whole life. */
    if (sig < 0) return hidden_await_polling(h, &die_sent);
    hidden_take(h, (int)sig, &info, &die_sent);
    if (sig == SIGCHLD && hidden_child_exited(h)) {
      hidden_drain(h, &set, 1, &die_sent);
      return 0;
    }
  }
}

/*
 * Reaps the child under the lock that kill() takes, then publishes its
 * status. The lock word is listed as robust first: should this task die
 * holding it (a SIGKILL from outside), the kernel marks it FUTEX_OWNER_DIED
 * and wakes a waiting kill(), which would otherwise wait for ever.
 */
static void hidden_report(pp_linux_hidden *h) {
  siginfo_t info;
  struct rusage ru;
  info.si_pid = 0;
  h->robust.list.next = &h->lock_entry;
  h->lock_entry.next = &h->robust.list;
  h->robust.futex_offset =
      (long)offsetof(pp_linux_hidden, lock) - (long)offsetof(pp_linux_hidden, lock_entry);
  h->robust.list_op_pending = NULL;
  pp_sys2(SYS_set_robust_list, &h->robust, sizeof(h->robust));
  pp_linux_lock(&h->lock, h->ctx.parent_pid);
  h->reaped = 1;
  long r = pp_sys5(SYS_waitid, P_PID, h->cpid, &info, WEXITED, &ru);
  pp_linux_unlock(&h->lock);
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
 * What the intermediate does once its child is started. It leaves this
 * process's group for its own; a signal sent to the group before it left
 * reached this process directly too, and is dropped (the child, which
 * has not exec'd, sends none). It takes back the spawning thread's CPU
 * mask (spawn.c pinned that thread for the clone), and a name that says
 * what it is in ps and top: its command line is this process's, whose
 * memory it shares. It lets go of this process's descriptor table, which
 * the child has a copy of by then, for an empty one of its own: a task that
 * shares the table (one descriptor per live child) made the kernel's
 * release of each intermediate cost more the more children were alive.
 * Where it writes an eventfd, or close_range is missing, it keeps sharing.
 */
static void hidden_settle(pp_linux_hidden *h) {
  pp_sigmask group = hidden_signals(SIGCHLD, HIDDEN_PDEATH_SIGNAL);
  int none = 0;
  h->forwards = pp_sys2(SYS_setpgid, 0, 0) == 0;
  hidden_drain(h, &group, 0, &none);
  if (h->ctx.affinity != NULL)
    pp_sys3(SYS_sched_setaffinity, 0, h->ctx.affinity_size, h->ctx.affinity);
  pp_sys2(SYS_prctl, PR_SET_NAME, "pp-intermediate");
  if (h->efd < 0 && h->ctx.close_range) pp_sys3(SYS_close_range, 0, ~0U, PP_CLOSE_RANGE_UNSHARE);
}

/*
 * pp_linux_intermediate is the intermediate's whole life: start the child
 * (the same child-side code as a direct spawn), wait for it, report. The
 * child is not started with CLONE_VFORK: the kernel itself tells the
 * spawning thread when the child has exec'd (or exited), through
 * CLONE_CHILD_CLEARTID on exec_word, so that the spawning thread does not
 * wait for this task to be scheduled again first. Its SIGCHLD disposition
 * is a copy of the host's: SIG_IGN or SA_NOCLDWAIT there would have the
 * kernel discard the child's exit, so it goes back to the default first.
 * Every other handler stays blocked.
 */
__attribute__((noinline)) int pp_linux_intermediate(void *arg) {
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
      .size = region->child_size,
      .fn = h->child_fn,
      .arg = &h->ctx,
      .parent_tid = &h->cpid,
      .child_tid = &h->exec_word,
      .cgroup_fd = h->cgroup_fd,
  };
  long cpid = pp_linux_clone(h->use_clone3, &req);
  if (h->use_clone3 && (cpid == -ENOSYS || cpid == -EPERM)) cpid = pp_linux_clone(0, &req);
  if (cpid < 0) {
    /* No child will clear exec_word: say so, and tell the spawning thread. */
    h->ctx.err.err = (int)cpid;
    h->ctx.err.step = pp_linux_clone_step(&req, cpid);
    __atomic_store_n(&h->exec_word, 0, __ATOMIC_RELEASE);
    pp_sys3(SYS_futex, &h->exec_word, PP_FUTEX_WAKE, 1);
  } else {
    hidden_settle(h);
    /* A child that failed before exec is reaped here too; the spawning thread waits for it. */
    if (hidden_await(h) == 0) hidden_report(h);
  }
  pp_sys1(SYS_exit_group, 0);
  return 0;
}
