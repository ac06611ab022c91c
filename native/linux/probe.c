/*
 * probe.c - what this kernel gives the Linux backend, found once for real.
 *
 * A feature is trusted only after it worked: one real clone3 and one real
 * legacy clone with CLONE_PIDFD, pidfd_open on ourselves, waitid(P_PIDFD)
 * answering ECHILD for a pidfd that is not our child, pidfd_send_signal with
 * signal 0 (and with PIDFD_SIGNAL_PROCESS_GROUP), PIDFD_GET_INFO giving the
 * exit of the reaped probe child, and one hidden spawn whose child's exit
 * comes back through its intermediate.
 *
 * The probe holds the table lock while its children live, so that no wait
 * of this process ever reports a child the host did not start.
 *
 * Some seccomp profiles (Android's) raise SIGSYS instead of failing a call.
 * The kernel forces that signal through SIG_IGN and a blocked mask, so the
 * probe catches it with a handler that does nothing: the refused call then
 * returns -ENOSYS, as it does where the kernel lacks it.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <pthread.h>
#include <sys/wait.h>

#include "../common/table.h"

pp_caps pp_linux_features;

static pthread_mutex_t probe_mutex = PTHREAD_MUTEX_INITIALIZER;
static int probe_done;
static int probe_result;
static const char *probe_reason;
static pp_linux_region *probe_region;

static void probe_on_sigsys(int sig) {
  (void)sig;
}

static int probe_child(void *arg) {
  (void)arg;
  pp_sys1(SYS_exit_group, 7);
  return 7;
}

/*
 * Runs fn with every signal blocked but SIGSYS, which stays deliverable:
 * the kernel resets a blocked SIGSYS to its default, death.
 */
static long probe_unblocked_sigsys(long (*fn)(void *), void *arg) {
  sigset_t all, saved;
  sigfillset(&all);
  sigdelset(&all, SIGSYS);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  long r = fn(arg);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  return r;
}

typedef struct probe_clone_args {
  int use_clone3;
  unsigned long long extra;
  int pidfd;
} probe_clone_args;

static long probe_clone_call(void *arg) {
  probe_clone_args *a = arg;
  pp_linux_clone_req req = {
      .flags = CLONE_PIDFD | CLONE_VFORK | a->extra,
      .exit_signal = SIGCHLD,
      .stack = probe_region->child_stack,
      .size = probe_region->child_size,
      .fn = probe_child,
      .pidfd = &a->pidfd,
  };
  return pp_linux_clone(a->use_clone3, &req);
}

/*
 * A refusal that says nothing of the kernel, only of the moment (a process
 * limit reached, memory short): the probe must run again, not conclude.
 */
static long probe_note(long r, pp_caps *caps) {
  if (r == -EAGAIN || r == -ENOMEM || r == -ENFILE || r == -EMFILE) caps->transient = 1;
  return r;
}

/* Starts and reaps one probe child; returns the pidfd of the reaped child or -errno. */
static long probe_clone(int use_clone3, unsigned long long extra, pp_caps *caps) {
  probe_clone_args a = {use_clone3, extra, -1};
  siginfo_t info = {0};
  long pid = probe_note(probe_unblocked_sigsys(probe_clone_call, &a), caps);
  if (pid < 0) return pid;
  if (pp_sys5(SYS_waitid, PP_P_PIDFD, a.pidfd, &info, WEXITED, NULL) == 0 && info.si_pid == pid &&
      info.si_status == 7) {
    caps->waitid_pidfd = 1;
  } else {
    /* Without P_PIDFD the probe child is reaped by pid: it is our own. */
    pp_sys5(SYS_waitid, P_PID, pid, &info, WEXITED, NULL);
  }
  return a.pidfd;
}

static void probe_exit_info(pp_caps *caps, int pidfd) {
  struct pp_pidfd_info info = {.mask = PP_PIDFD_INFO_EXIT};
  if (pp_sys3(SYS_ioctl, pidfd, PP_PIDFD_GET_INFO, &info) == 0 &&
      (info.mask & PP_PIDFD_INFO_EXIT) && WIFEXITED(info.exit_code) &&
      WEXITSTATUS(info.exit_code) == 7) {
    caps->pidfd_info_exit = 1;
  }
}

static void probe_clones(pp_caps *caps) {
  long fd = probe_clone(1, CLONE_CLEAR_SIGHAND, caps);
  if (fd == -EINVAL)
    fd = probe_clone(1, 0, caps);
  else if (fd >= 0)
    caps->clear_sighand = 1;
  if (fd >= 0) {
    caps->clone3 = 1;
    probe_exit_info(caps, (int)fd);
    pp_sys1(SYS_close, fd);
  }
  fd = probe_clone(0, 0, caps);
  if (fd >= 0) {
    caps->clone_pidfd = 1;
    if (!caps->clone3) probe_exit_info(caps, (int)fd);
    pp_sys1(SYS_close, fd);
  }
}

static void probe_pidfd_calls(pp_caps *caps) {
  long self = probe_note(pp_sys2(SYS_pidfd_open, getpid(), 0), caps);
  if (self < 0) return;
  caps->pidfd_open = 1;
  if (pp_sys4(SYS_pidfd_send_signal, self, 0, NULL, 0) == 0) caps->pidfd_send_signal = 1;
  /* The flag names the group led by the target: ESRCH unless this process leads one. */
  long group = pp_sys4(SYS_pidfd_send_signal, self, 0, NULL, PP_PIDFD_SIGNAL_PROCESS_GROUP);
  if (group == 0 || group == -ESRCH) caps->pidfd_signal_group = 1;
  if (!caps->waitid_pidfd) {
    siginfo_t info;
    if (pp_sys5(SYS_waitid, PP_P_PIDFD, self, &info, WEXITED | WNOHANG, NULL) == -ECHILD) {
      caps->waitid_pidfd = 1;
    }
  }
  pp_sys1(SYS_close, self);
}

static long probe_hidden_call(void *arg) {
  int *pidfd = arg;
  return pp_linux_hidden_start(probe_region, *pidfd >= 0 ? pidfd : NULL);
}

/* One hidden spawn of probe_child: its exit must come back through the intermediate. */
static void probe_hidden(pp_caps *caps) {
  pp_linux_hidden *h = &probe_region->hidden;
  int use_pidfd = caps->waitid_pidfd && caps->clone_pidfd;
  int pidfd = use_pidfd ? 0 : -1;
  *h = (pp_linux_hidden){
      .child_fn = probe_child, .use_clone3 = caps->clone3, .efd = -1, .exec_word = -1};
  h->host_pid = (int)pp_sys0(SYS_getpid);
  long ipid = probe_note(probe_unblocked_sigsys(probe_hidden_call, &pidfd), caps);
  if (ipid < 0) return;
  int reaped = pp_linux_hidden_reap_intermediate((int)ipid, use_pidfd ? pidfd : -1, 0);
  if (use_pidfd) pp_sys1(SYS_close, pidfd);
  caps->hidden = reaped == 1 && h->ctx.err.err == 0 && h->done && h->st.code == CLD_EXITED &&
                 h->st.status == 7;
}

/* Why direct isolation cannot be had here, or NULL. */
static const char *probe_direct_missing(const pp_caps *caps) {
  if (!caps->clone3 && !caps->clone_pidfd)
    return "neither clone3 nor clone gives a pidfd with the child (CLONE_PIDFD, Linux 5.2)";
  if (!caps->waitid_pidfd) return "waitid(P_PIDFD) is not available (Linux 5.4 or later is needed)";
  if (!caps->pidfd_send_signal) return "pidfd_send_signal is refused or missing";
  return NULL;
}

static void probe_run(void) {
  pp_caps caps = {0};
  probe_result = 0;
  probe_reason = NULL;
  pp_sigmask saved;
  struct sigaction catch_sigsys = {.sa_handler = probe_on_sigsys}, old;
  probe_region = pp_linux_region_get();
  if (probe_region == NULL) {
    probe_result = -ENOMEM;
    probe_reason = "out of memory while probing the kernel";
    pp_linux_features = (pp_caps){.transient = 1};
    return;
  }
  sigaction(SIGSYS, &catch_sigsys, &old);
  pp_table_lock(&saved);
  probe_clones(&caps);
  probe_pidfd_calls(&caps);
  /* The intermediate clones as a spawn will: with what was found so far. */
  pp_linux_features = caps;
  probe_hidden(&caps);
  pp_table_unlock(&saved);
  caps.close_range = pp_sys3(SYS_close_range, ~0U, ~0U, 0) == 0;
  sigaction(SIGSYS, &old, NULL);
  pp_linux_region_put(probe_region);
  probe_region = NULL;

  caps.direct_missing = probe_direct_missing(&caps);
  caps.direct = caps.direct_missing == NULL;
  /* The probe's region came from the first slab, whose guard pages tried MADV_GUARD_INSTALL. */
  caps.guard_install = pp_linux_guard_install();
  /* A child's pidfd (direct), its intermediate's pidfd or eventfd (hidden). */
  caps.child_fds = 1;
  if (!caps.hidden)
    caps.hidden_missing = "an intermediate task (clone with exit signal 0) could not start a child";
  probe_result = caps.direct || caps.hidden ? 0 : -ENOSYS;
  if (probe_result != 0) probe_reason = caps.direct_missing;
  pp_linux_features = caps;
}

/* Probes once, or again while the last probe met a passing refusal (caps.transient). */
int pp_linux_probe(pp_caps *caps, const char **reason) {
  pthread_mutex_lock(&probe_mutex);
  if (!probe_done || pp_linux_features.transient) {
    probe_run();
    probe_done = 1;
  }
  *caps = pp_linux_features;
  *reason = probe_reason;
  int r = probe_result;
  pthread_mutex_unlock(&probe_mutex);
  return r;
}
