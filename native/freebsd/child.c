/*
 * child.c - the child's side, between pdfork and execve.
 *
 * pdfork is a full fork of the Node process, made without atfork handlers:
 * the child is a copy of one thread of a multithreaded program. It calls
 * only system call stubs, allocates nothing, takes no lock, and looks
 * nothing up that the parent could prepare. A failure is written to the
 * report pipe, whose write end exec closes, so the parent knows the result
 * when its read returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/slots.h"
#include "freebsd.h"

__attribute__((noreturn)) static void child_fail(int report_fd, int err, int step) {
  pp_freebsd_report r = {err, step};
  while (write(report_fd, &r, sizeof(r)) < 0 && errno == EINTR) {
  }
  _exit(127);
}

/* Every signal back to its default action: an ignored one survives execve. */
static void child_reset_signals(void) {
  struct sigaction dfl;
  dfl.sa_handler = SIG_DFL;
  dfl.sa_flags = 0;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig <= pp_freebsd_nsig(); sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    pp_freebsd_sigaction(sig, &dfl);
  }
}

/*
 * Puts parent fd fds[i] on child fd i, in blocking mode. A source that is
 * itself one of the child's slots is first moved above them, so that no
 * dup2 overwrites a source that a later slot still needs.
 */
static void child_setup_fds(const pp_spawn_req *req, int report_fd) {
  int src[PP_FREEBSD_MAX_FDS];
  for (int i = 0; i < req->nfds; i++) {
    src[i] = req->fds[i];
    if (src[i] >= 0 && src[i] < req->nfds && src[i] != i) {
      src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, req->nfds);
      if (src[i] < 0) child_fail(report_fd, -errno, PP_STEP_DUP2);
    }
  }
  for (int i = 0; i < req->nfds; i++) {
    int r;
    if (src[i] == PP_FD_CLOSED) {
      r = close(i) < 0 && errno != EBADF ? -1 : 0;
    } else if (src[i] == i) {
      r = fcntl(i, F_SETFD, 0);
    } else {
      r = dup2(src[i], i);
    }
    if (r < 0) child_fail(report_fd, -errno, PP_STEP_DUP2);
    if (src[i] != PP_FD_CLOSED && (r = pp_fd_make_blocking(i)) < 0)
      child_fail(report_fd, r, PP_STEP_DUP2);
  }
}

/* Closes every fd above the slots but the report pipe. */
static void child_close_fds(const pp_spawn_req *req, int report_fd) {
  if (report_fd > req->nfds && close_range((unsigned)req->nfds, (unsigned)report_fd - 1, 0) < 0)
    child_fail(report_fd, -errno, PP_STEP_CLOSE_FDS);
  if (close_range((unsigned)report_fd + 1, ~0U, 0) < 0)
    child_fail(report_fd, -errno, PP_STEP_CLOSE_FDS);
}

/* 1 when the real, effective and saved uid (or gid) are all id already. */
static int child_ids_are(int gid, long id) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  if (gid) return getresgid(&gr, &ge, &gs) == 0 && gr == (gid_t)id && ge == gr && gs == gr;
  return getresuid(&r, &e, &s) == 0 && r == (uid_t)id && e == r && s == r;
}

/* 1 when the supplementary groups are already exactly groups[0..n). */
static int child_groups_are(int n, const unsigned *groups) {
  gid_t now[64];
  int have = getgroups(64, now);
  if (have != n) return 0;
  for (int i = 0; i < n; i++) {
    if (now[i] != (gid_t)groups[i]) return 0;
  }
  return 1;
}

/*
 * Becomes who the request says, in the order that keeps the privilege to
 * finish: groups, gid, uid. What already is as asked is left alone (an
 * unprivileged caller may name its own ids, as child_process allows); a
 * real change that the kernel refuses fails the spawn. The parent-death
 * signal is armed last, then the parent is checked again, in case it died
 * before the signal was armed.
 */
static void child_set_identity(const pp_creds *c, int report_fd, pid_t parent) {
  int uid_changes = c->uid != PP_UNCHANGED && !child_ids_are(0, c->uid);
  int gid_changes = c->gid != PP_UNCHANGED && !child_ids_are(1, c->gid);
  if (c->ngroups != PP_UNCHANGED || uid_changes || gid_changes) {
    int n = c->ngroups == PP_UNCHANGED ? 0 : c->ngroups;
    if (!child_groups_are(n, c->groups) && setgroups(n, (const gid_t *)c->groups) < 0)
      child_fail(report_fd, -errno, PP_STEP_SETGROUPS);
  }
  if (gid_changes && setresgid((gid_t)c->gid, (gid_t)c->gid, (gid_t)c->gid) < 0)
    child_fail(report_fd, -errno, PP_STEP_SETGID);
  if (uid_changes && setresuid((uid_t)c->uid, (uid_t)c->uid, (uid_t)c->uid) < 0)
    child_fail(report_fd, -errno, PP_STEP_SETUID);
  if (c->umask != PP_UNCHANGED) umask((mode_t)c->umask);
  if (c->pdeathsig != 0) {
    int sig = c->pdeathsig;
    if (procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig) < 0)
      child_fail(report_fd, -errno, PP_STEP_PDEATHSIG);
    if (getppid() != parent) child_fail(report_fd, -ESRCH, PP_STEP_PDEATHSIG);
  }
}

/*
 * pp_freebsd_child is the whole life of the child until execve.
 *
 * Rules: system call stubs only (the two libthr wraps go to the kernel
 * directly, see sys.h); no malloc, no locks, no stdio; every path ends in
 * execve or child_fail(). Signals stay blocked, as the parent blocked them
 * before pdfork, until every handler is back to SIG_DFL: a handler of the
 * parent's must never run in the child.
 */
__attribute__((noinline, noreturn)) void pp_freebsd_child(const pp_spawn_req *req, int report_fd,
                                                          pid_t parent) {
  sigset_t empty;
  child_reset_signals();
  if ((req->flags & PP_SPAWN_SETSID) && setsid() < 0) child_fail(report_fd, -errno, PP_STEP_SETSID);
  child_setup_fds(req, report_fd);
  child_close_fds(req, report_fd);
  int step = PP_STEP_NONE, r;
  if (req->privs != NULL && (r = pp_freebsd_privs_apply(req->privs, &step)) < 0)
    child_fail(report_fd, r, step);
  /* The working directory is entered as the new identity, with its rights. */
  child_set_identity(&req->creds, report_fd, parent);
  if (req->cwd != NULL && chdir(req->cwd) < 0) child_fail(report_fd, -errno, PP_STEP_CHDIR);
  sigemptyset(&empty);
  pp_freebsd_sigmask(SIG_SETMASK, &empty);

  /* Like execvp: ENOENT and friends try the next candidate; EACCES is kept. */
  int err = -ENOENT, saw_eacces = 0;
  for (const char *const *c = req->candidates; *c != NULL; c++) {
    execve(*c, req->argv, req->envp);
    int e = errno;
    if (e == EACCES) {
      saw_eacces = 1;
    } else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ETIMEDOUT) {
      err = -e;
      break;
    }
  }
  if (err == -ENOENT && saw_eacces) err = -EACCES;
  child_fail(report_fd, err, PP_STEP_EXECVE);
}
