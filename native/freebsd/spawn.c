/*
 * spawn.c - the parent's side of a FreeBSD spawn.
 *
 * pdfork(PD_CLOEXEC) under the table lock, with every signal blocked: the
 * pid is in the table before any wait of ours can look, and the child
 * starts with no handler of ours able to run. A child without dieWithParent
 * gets PD_DAEMON, so that it outlives its descriptor as a Unix child
 * outlives its parent: closing the last descriptor of any other child kills
 * it. The result of the exec comes back through a close-on-exec pipe: end
 * of file means it exec'd, a pp_freebsd_report means it failed. Every
 * child is hidden by the kernel: PP_SPAWN_HIDDEN asks for nothing more.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../common/table.h"
#include "freebsd.h"

/* A pipe whose write end sits above the child's slots, where no dup2 of a slot lands. */
static int freebsd_report_pipe(int nfds, int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  if (fds[1] < nfds) {
    int high = fcntl(fds[1], F_DUPFD_CLOEXEC, nfds);
    int err = -errno;
    close(fds[1]);
    if (high < 0) {
      close(fds[0]);
      return err;
    }
    fds[1] = high;
  }
  return 0;
}

/* Reads the child's report: 0 when it exec'd, else its failure. */
static int freebsd_read_report(int fd, pp_spawn_error *err) {
  pp_freebsd_report r;
  size_t got = 0;
  while (got < sizeof(r)) {
    ssize_t n = read(fd, (char *)&r + got, sizeof(r) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got < sizeof(r)) return 0;
  *err = (pp_spawn_error){r.err, r.step};
  return r.err;
}

/* Watches the descriptor for the child's exit; the status comes with the event. */
static int freebsd_watch_exit(int pd) {
  struct kevent ev;
  int kq = kqueue();
  if (kq < 0) return -errno;
  EV_SET(&ev, pd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, NULL);
  if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
    int e = -errno;
    close(kq);
    return e;
  }
  if (fcntl(kq, F_SETFD, FD_CLOEXEC) < 0) (void)0;
  return kq;
}

int pp_freebsd_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err) {
  int report[2], pd = -1;
  pp_sigmask saved;
  pid_t parent = getpid();
  pp_status discard;

  /* Capabilities, no_new_privs and cgroups are Linux's. */
  if (req->privs != NULL && !pp_freebsd_privs_supported(req->privs)) {
    *err = (pp_spawn_error){-ENOTSUP, PP_STEP_NONE};
    return -ENOTSUP;
  }
  int refused = req->privs != NULL ? pp_freebsd_privs_check(req->privs) : 0;
  if (refused < 0) {
    *err = (pp_spawn_error){refused, PP_STEP_RLIMITS};
    return refused;
  }
  if (req->nfds > PP_FREEBSD_MAX_FDS) {
    *err = (pp_spawn_error){-EINVAL, PP_STEP_DUP2};
    return -EINVAL;
  }
  int r = freebsd_report_pipe(req->nfds, report);
  if (r < 0) {
    *err = (pp_spawn_error){r, PP_STEP_CLONE};
    return r;
  }
  int flags = PD_CLOEXEC | (req->creds.pdeathsig != 0 ? 0 : PD_DAEMON);
  /* Every signal stays blocked from here to the child's reset: see child.c. */
  pp_table_lock(&saved);
  pid_t pid = pdfork(&pd, flags);
  if (pid == 0) pp_freebsd_child(req, report[1], parent);
  int kq = pid > 0 ? freebsd_watch_exit(pd) : -1;
  if (pid > 0) {
    child->pid = (int)pid;
    child->reap_pid = (int)pid;
    child->fd = kq;
    child->aux_fd = pd;
    child->backend = &pp_freebsd_backend;
    pp_table_insert_locked(child);
  }
  r = pid < 0 ? -errno : 0;
  pp_table_unlock(&saved);
  close(report[1]);
  if (r < 0) {
    close(report[0]);
    *err = (pp_spawn_error){r, PP_STEP_CLONE};
    return r;
  }
  r = freebsd_read_report(report[0], err);
  close(report[0]);
  if (r == 0 && kq < 0) {
    /* The child runs, but nothing could watch it: stop it, as a failed spawn. */
    r = kq;
    *err = (pp_spawn_error){kq, PP_STEP_CLONE};
    pdkill(pd, SIGKILL);
  }
  if (r < 0) {
    pp_freebsd_reap(child, &discard);
    pp_freebsd_release(child);
  }
  return r;
}
