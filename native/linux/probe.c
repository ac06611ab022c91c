/*
 * probe.c - what this kernel gives the Linux backend, found once for real.
 *
 * A feature is trusted only after it worked: one real clone3 and one real
 * legacy clone with CLONE_PIDFD, pidfd_open on ourselves, waitid(P_PIDFD)
 * answering ECHILD for a pidfd that is not our child, pidfd_send_signal with
 * signal 0, PIDFD_GET_INFO giving the exit of the reaped probe child.
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

pp_caps pp_linux_features;

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_result;
static const char *probe_reason;

static void probe_on_sigsys(int sig) {
  (void)sig;
}

static int probe_child(void *arg) {
  (void)arg;
  pp_sys1(SYS_exit_group, 7);
  return 7;
}

/* Starts and reaps one probe child; returns the pidfd of the reaped child or -errno. */
static long probe_clone(int use_clone3, unsigned long long extra, pp_caps *caps) {
  int pidfd = -1;
  siginfo_t info = {0};
  sigset_t all, saved;
  /* SIGSYS stays deliverable: the kernel resets a blocked SIGSYS to its default, death. */
  sigfillset(&all);
  sigdelset(&all, SIGSYS);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  long pid = pp_linux_clone(use_clone3, extra, probe_child, NULL, &pidfd);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  if (pid < 0) return pid;
  if (pp_sys5(SYS_waitid, PP_P_PIDFD, pidfd, &info, WEXITED, NULL) == 0 && info.si_pid == pid &&
      info.si_status == 7) {
    caps->waitid_pidfd = 1;
  } else {
    /* Without P_PIDFD the probe child is reaped by pid: it is our own. */
    pp_sys5(SYS_waitid, P_PID, pid, &info, WEXITED, NULL);
  }
  return pidfd;
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
  long self = pp_sys2(SYS_pidfd_open, getpid(), 0);
  if (self < 0) return;
  caps->pidfd_open = 1;
  if (pp_sys4(SYS_pidfd_send_signal, self, 0, NULL, 0) == 0) caps->pidfd_send_signal = 1;
  if (!caps->waitid_pidfd) {
    siginfo_t info;
    if (pp_sys5(SYS_waitid, PP_P_PIDFD, self, &info, WEXITED | WNOHANG, NULL) == -ECHILD) {
      caps->waitid_pidfd = 1;
    }
  }
  pp_sys1(SYS_close, self);
}

static void probe_run(void) {
  pp_caps caps = {0};
  struct sigaction catch_sigsys = {.sa_handler = probe_on_sigsys}, old;
  sigaction(SIGSYS, &catch_sigsys, &old);
  probe_clones(&caps);
  probe_pidfd_calls(&caps);
  caps.close_range = pp_sys3(SYS_close_range, ~0U, ~0U, 0) == 0;
  sigaction(SIGSYS, &old, NULL);

  pp_linux_features = caps;
  if (!caps.clone3 && !caps.clone_pidfd) {
    probe_result = -ENOSYS;
    probe_reason = "neither clone3 nor clone gives a pidfd with the child (CLONE_PIDFD)";
  } else if (!caps.waitid_pidfd) {
    probe_result = -ENOSYS;
    probe_reason = "waitid(P_PIDFD) is not available (Linux 5.4 or later is needed)";
  } else if (!caps.pidfd_send_signal) {
    probe_result = -ENOSYS;
    probe_reason = "pidfd_send_signal is refused or missing";
  }
}

int pp_linux_probe(pp_caps *caps, const char **reason) {
  pthread_once(&probe_once, probe_run);
  *caps = pp_linux_features;
  *reason = probe_reason;
  return probe_result;
}
