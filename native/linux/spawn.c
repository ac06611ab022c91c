/*
 * spawn.c - the parent's side of a Linux spawn, in either isolation.
 *
 * Direct: clone3(CLONE_PIDFD | CLONE_VM | CLONE_VFORK) on a separate
 * stack: the pidfd exists atomically with the child, the parent's memory
 * is not copied (the cost does not grow with the heap), and the parent
 * thread sleeps until the child has exec'd or failed, so the result is
 * known when clone returns. Legacy clone(CLONE_PIDFD) stands in where
 * clone3 is refused.
 *
 * Hidden: the same, one level down (hidden.c): an intermediate task makes
 * that clone and reports, and this thread waits for its report.
 *
 * Both hold the table lock, with every signal blocked, from before the
 * clone until the new child is in the table (or, when it failed, has been
 * reaped): no wait of this process can meet a child the table does not
 * know, nor one that failed before exec.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "../common/table.h"

/*
 * Clones as the probe found best, and learns once and for all when clone3
 * is refused after all (a seccomp profile that allows it to the probe's
 * callers only): legacy clone from then on.
 */
static long linux_clone(pp_linux_clone_req *req) {
  int use_clone3 = pp_linux_features.clone3;
  if (use_clone3 && pp_linux_features.clear_sighand) req->flags |= CLONE_CLEAR_SIGHAND;
  long pid = pp_linux_clone(use_clone3, req);
  if (use_clone3 && (pid == -ENOSYS || pid == -EPERM)) {
    pp_linux_features.clone3 = 0;
    pp_linux_features.clear_sighand = 0;
    pid = pp_linux_clone(0, req);
  }
  return pid;
}

/* Reaps a direct child that failed before exec; its status is of no interest. */
static void linux_discard(int pidfd) {
  siginfo_t info;
  long r;
  do {
    r = pp_sys5(SYS_waitid, PP_P_PIDFD, pidfd, &info, WEXITED, NULL);
  } while (r == -EINTR);
  pp_sys1(SYS_close, pidfd);
}

static int linux_spawn_direct(pp_linux_region *region, const pp_spawn_req *req, const int cg[2],
                              pp_child *child, pp_spawn_error *err) {
  pp_linux_ctx ctx = {.req = req, .close_range = pp_linux_features.close_range};
  int pidfd = -1;
  pp_sigmask saved;

  ctx.parent_pid = (int)pp_sys0(SYS_getpid);
  ctx.cgroup_join = cg[1] >= 0;
  ctx.cgroup_procs = cg[1];
  /* Every signal stays blocked from here to the child's reset: see child.c. */
  pp_table_lock(&saved);
  pp_linux_clone_req clone_req = {
      .flags = CLONE_PIDFD | CLONE_VFORK,
      .exit_signal = SIGCHLD,
      .stack = region->child_stack,
      .size = region->child_size,
      .fn = pp_linux_child,
      .arg = &ctx,
      .pidfd = &pidfd,
      .cgroup_fd = cg[0] >= 0 ? &cg[0] : NULL,
  };
  long pid = linux_clone(&clone_req);
  if (pid < 0) {
    pp_table_unlock(&saved);
    *err = (pp_spawn_error){(int)pid, pp_linux_clone_step(&clone_req, pid)};
    return (int)pid;
  }
  if (ctx.err.err != 0) {
    linux_discard(pidfd);
    pp_table_unlock(&saved);
    err->err = ctx.err.err;
    err->step = ctx.err.step;
    return err->err;
  }
  child->pid = (int)pid;
  child->reap_pid = (int)pid;
  child->fd = pidfd;
  child->backend = &pp_linux_backend;
  pp_table_insert_locked(child);
  pp_table_unlock(&saved);
  return 0;
}

/*
 * The intermediate's pidfd tells this process of its exit; where pidfds
 * are missing (before 5.3) the intermediate writes an eventfd instead.
 */
static int linux_spawn_hidden(pp_linux_region *region, const pp_spawn_req *req, const int cg[2],
                              pp_child *child, pp_spawn_error *err) {
  pp_linux_hidden *h = &region->hidden;
  int use_pidfd = pp_linux_features.waitid_pidfd && pp_linux_features.clone_pidfd;
  int ifd = -1;
  pp_sigmask saved;

  *h = (pp_linux_hidden){
      .ctx = {.req = req,
              .close_range = pp_linux_features.close_range,
              .cgroup_join = cg[1] >= 0,
              .cgroup_procs = cg[1]},
      .child_fn = pp_linux_child,
      .cgroup_fd = cg[0] >= 0 ? &cg[0] : NULL,
      .use_clone3 = pp_linux_features.clone3,
      .child_extra =
          pp_linux_features.clone3 && pp_linux_features.clear_sighand ? CLONE_CLEAR_SIGHAND : 0,
      .host_pid = (int)pp_sys0(SYS_getpid),
      .die_signal = req->creds.pdeathsig,
      .efd = -1,
  };
  if (!use_pidfd) {
    h->efd = (int)pp_sys2(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->efd < 0) {
      *err = (pp_spawn_error){h->efd, PP_STEP_INTERMEDIATE};
      return h->efd;
    }
  }
  pp_table_lock(&saved);
  long ipid = pp_linux_hidden_start(region, use_pidfd ? &ifd : NULL);
  if (ipid < 0 || h->ctx.err.err != 0) {
    if (ipid >= 0) pp_linux_hidden_reap_intermediate((int)ipid, ifd, 0);
    pp_table_unlock(&saved);
    if (ifd >= 0) pp_sys1(SYS_close, ifd);
    if (h->efd >= 0) pp_sys1(SYS_close, h->efd);
    *err = ipid < 0 ? (pp_spawn_error){(int)ipid, PP_STEP_INTERMEDIATE}
                    : (pp_spawn_error){h->ctx.err.err, h->ctx.err.step};
    return err->err;
  }
  child->pid = h->cpid;
  child->reap_pid = (int)ipid;
  child->fd = ifd >= 0 ? ifd : h->efd;
  child->priv = region;
  child->backend = &pp_linux_backend;
  pp_table_insert_locked(child);
  pp_table_unlock(&saved);
  return 0;
}

int pp_linux_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err) {
  if (req->nfds > PP_LINUX_MAX_FDS) {
    *err = (pp_spawn_error){-EINVAL, PP_STEP_DUP2};
    return -EINVAL;
  }
  int step = PP_STEP_NONE;
  int r = pp_linux_privs_check(req->privs, &step);
  if (r < 0) {
    *err = (pp_spawn_error){r, step};
    return r;
  }
  /* The cgroup is opened here, with this process's rights, for the clone (or the child) to enter.
   */
  int cg[2] = {-1, -1};
  if (req->privs != NULL && req->privs->cgroup != NULL &&
      (r = pp_linux_cgroup_open(req->privs->cgroup, &cg[0], &cg[1])) < 0) {
    *err = (pp_spawn_error){r, PP_STEP_CGROUP};
    return r;
  }
  pp_linux_region *region = pp_linux_region_get();
  int hidden = (req->flags & PP_SPAWN_HIDDEN) != 0;
  if (region == NULL)
    *err = (pp_spawn_error){r = -ENOMEM, PP_STEP_CLONE};
  else
    r = hidden ? linux_spawn_hidden(region, req, cg, child, err)
               : linux_spawn_direct(region, req, cg, child, err);
  for (int i = 0; i < 2; i++) {
    if (cg[i] >= 0) pp_sys1(SYS_close, cg[i]);
  }
  if (region == NULL) return r;
  /*
   * The child has exec'd or is gone: its stack is free. A hidden child's region (the
   * intermediate's stack) lives with it; after a failed hidden spawn, the intermediate is reaped.
   */
  pp_linux_region_spawned(region);
  if (r < 0 || !hidden) pp_linux_region_put(region);
  return r;
}
