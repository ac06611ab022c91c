/*
 * hidden.c - hidden isolation: an intermediate task starts the child, so
 * that the child is not this process's child at all. This file is this
 * process's side; intermediate.c is the intermediate's.
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
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   clone, exit signal 0, futexes   2.6      the intermediate, exec_word
 *   CLONE_PIDFD                     5.2      the intermediate's exit polled (else an eventfd)
 *   pidfd_open                      5.3      an orphaned child killed through a pidfd (else by pid)
 */
#define _GNU_SOURCE
#include "linux.h"

#include <sched.h>
#include <sys/wait.h>

#include "../common/compat.h"
#include "../common/table.h"

/* 1 when the intermediate has exited (it is a zombie, or gone). */
static int hidden_intermediate_exited(int ipid) {
  siginfo_t info;
  info.si_pid = 0;
  long r = pp_sys5(SYS_waitid, P_PID, ipid, &info, WEXITED | __WCLONE | WNOHANG | WNOWAIT, NULL);
  return r < 0 || info.si_pid == ipid;
}

/*
 * Kills the child of an intermediate that died before the child exec'd:
 * the child runs in this process's memory, on the region, and reads the
 * request. While exec_word is not 0 the child has neither exec'd nor
 * exited, so its pid is still its own: a pidfd opened before exec_word is
 * seen so names it for good (5.3). Without pidfds it is signalled by pid,
 * right after exec_word said so. Returns 1 once the signal is sent, 0 when
 * the child exec'd or exited first (or never was).
 */
static int hidden_kill_orphan(pp_linux_hidden *h) {
  int cpid = __atomic_load_n(&h->cpid, __ATOMIC_ACQUIRE);
  if (cpid <= 0) return 0;
  long fd = pp_sys2(SYS_pidfd_open, cpid, 0);
  long r = -ESRCH;
  if (__atomic_load_n(&h->exec_word, __ATOMIC_ACQUIRE) != 0) {
    if (fd >= 0) r = pp_sys4(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
    if (fd < 0 || r == -ENOSYS || r == -EPERM) r = pp_sys2(SYS_kill, cpid, SIGKILL);
  }
  if (fd >= 0) pp_sys1(SYS_close, fd);
  return r == 0;
}

/*
 * Waits until the child has exec'd or exited: the kernel clears exec_word
 * then and wakes it as a shared futex (CLONE_CHILD_CLEARTID). The wait is
 * bounded while the intermediate lives, so that its death is noticed; an
 * orphaned child is killed then, and waited for all the same, since it
 * runs on the region. A spawn whose child was killed so fails with ESRCH
 * at step intermediate; a child that exec'd first stays a spawned child,
 * as when the intermediate dies just after the exec.
 */
static void hidden_await_exec(pp_linux_hidden *h, int ipid) {
  struct timespec tick = {0, 50 * 1000 * 1000};
  int orphaned = 0, killed = 0, w;
  while ((w = __atomic_load_n(&h->exec_word, __ATOMIC_ACQUIRE)) != 0) {
    pp_sys4(SYS_futex, &h->exec_word, PP_FUTEX_WAIT, w, orphaned ? NULL : &tick);
    if (orphaned || __atomic_load_n(&h->exec_word, __ATOMIC_ACQUIRE) == 0 ||
        !hidden_intermediate_exited(ipid))
      continue;
    orphaned = 1;
    killed = hidden_kill_orphan(h);
    /* An intermediate that died before its clone of the child left no child to wait for. */
    if (__atomic_load_n(&h->cpid, __ATOMIC_ACQUIRE) <= 0) break;
  }
  if (orphaned && (killed || w != 0) && h->ctx.err.err == 0) {
    h->ctx.err.err = -ESRCH;
    h->ctx.err.step = PP_STEP_INTERMEDIATE;
  }
}

long pp_linux_hidden_start(pp_linux_region *region, int *pidfd) {
  pp_linux_hidden *h = &region->hidden;
  pp_linux_clone_req req = {
      .flags = CLONE_FILES | CLONE_FS | (pidfd != NULL ? CLONE_PIDFD : 0),
      .exit_signal = 0,
      .stack = region->intermediate_stack,
      .size = region->intermediate_size,
      .fn = pp_linux_intermediate,
      .arg = region,
      .pidfd = pidfd,
  };
  int use_clone3 = h->use_clone3;
  h->exec_word = -1;
  /*
   * Pinned to this CPU for the clone, the intermediate, and the child it
   * starts, run here as soon as this thread waits, instead of queueing each
   * behind a busy CPU's tasks; the child takes the thread's mask back
   * before exec, the intermediate once it has started the child.
   */
  int pinned = pp_linux_pin(&h->ctx, h->affinity, sizeof(h->affinity));
  long ipid = pp_linux_clone(use_clone3, &req);
  if (use_clone3 && (ipid == -ENOSYS || ipid == -EPERM)) ipid = pp_linux_clone(0, &req);
  if (pinned) pp_linux_unpin(&h->ctx);
  if (ipid >= 0) hidden_await_exec(h, (int)ipid);
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
  pp_linux_lock(&h->lock, PP_LINUX_LOCK_HOST);
  /* Reaped, or orphaned by an intermediate that was killed: the pid may be anyone's. */
  if (!h->reaped && !h->intermediate_gone && !hidden_intermediate_exited(child->reap_pid))
    r = pp_sys2(SYS_kill, (flags & PP_SIGNAL_GROUP) ? -h->cpid : h->cpid, sig);
  pp_linux_unlock(&h->lock);
  return (int)r;
}
