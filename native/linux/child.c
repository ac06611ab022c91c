/*
 * child.c - the child's side, between clone and execve.
 *
 * The child shares its parent's memory (CLONE_VM) and the parent task is
 * suspended until it execs or exits (CLONE_VFORK). Its parent is the
 * spawning thread (direct) or the intermediate (hidden): the code is the
 * same. Everything it needs was prepared by the spawning thread; a
 * failure is written into the shared context and the child exits with
 * 127, so the parent knows the result when clone returns.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/* The kernel's linux_dirent64, read from /proc/self/fd without opendir. */
struct child_dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

__attribute__((noreturn)) static void child_fail(pp_linux_ctx *ctx, long err, int step) {
  ctx->err.err = (int)err;
  ctx->err.step = step;
  for (;;) pp_sys1(SYS_exit_group, 127);
}

/* Every signal back to its default action: an ignored one survives execve. */
static void child_reset_signals(void) {
  struct pp_kernel_sigaction dfl = {0};
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig <= PP_KERNEL_NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    pp_sys4(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
  }
}

/*
 * Clears O_NONBLOCK on fd: pp_fd_make_blocking (slots.c) in raw system
 * calls, since errno here is the parent's. The flag belongs to the open
 * file description, so whoever shares it (the parent too) sees the change.
 */
static long child_make_blocking(int fd) {
  long flags = pp_sys2(SYS_fcntl, fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK) == 0) return flags < 0 ? flags : 0;
  return pp_sys3(SYS_fcntl, fd, F_SETFL, flags & ~O_NONBLOCK);
}

/*
 * Puts parent fd src[i] on child fd i, in blocking mode. A source that is
 * itself one of the child's slots is first moved above them, so that no
 * dup2 overwrites a source that a later slot still needs.
 */
static void child_setup_fds(pp_linux_ctx *ctx, const pp_spawn_req *req) {
  int src[PP_LINUX_MAX_FDS];
  for (int i = 0; i < req->nfds; i++) {
    src[i] = req->fds[i];
    if (src[i] >= 0 && src[i] < req->nfds && src[i] != i) {
      long fd = pp_sys3(SYS_fcntl, src[i], F_DUPFD_CLOEXEC, req->nfds);
      if (fd < 0) child_fail(ctx, fd, PP_STEP_DUP2);
      src[i] = (int)fd;
    }
  }
  for (int i = 0; i < req->nfds; i++) {
    long r;
    if (src[i] == PP_FD_CLOSED) {
      r = pp_sys1(SYS_close, i);
      if (r == -EBADF) r = 0;
    } else if (src[i] == i) {
      r = pp_sys3(SYS_fcntl, i, F_SETFD, 0);
    } else {
      r = pp_sys3(SYS_dup3, src[i], i, 0);
    }
    if (r >= 0 && src[i] != PP_FD_CLOSED) r = child_make_blocking(i);
    if (r < 0) child_fail(ctx, r, PP_STEP_DUP2);
  }
}

/* 1 when the calling task's real, effective and saved ids (getres*id) are all id. */
static int child_ids_are(long getres, long id) {
  uint32_t r = 0, e = 0, s = 0, want = (uint32_t)id;
  return pp_sys3(getres, &r, &e, &s) == 0 && r == want && e == want && s == want;
}

/* 1 when the supplementary groups are already exactly these n (checked up to 64 of them). */
static int child_groups_are(int n, const unsigned *groups) {
  uint32_t now[64];
  long have = pp_sys2(PP_SYS_getgroups, 0, NULL);
  if (have != n) return 0;
  if (n == 0) return 1;
  if (n > 64 || pp_sys2(PP_SYS_getgroups, n, now) != n) return 0;
  for (int i = 0; i < n; i++) {
    int found = 0;
    for (int k = 0; k < n && !found; k++) found = now[k] == groups[i];
    if (!found) return 0;
  }
  return 1;
}

/*
 * A new identity takes no capability along: the kernel clears the ambient
 * set itself only when the old uid was 0, and ambient capabilities are
 * granted again by execve. The inheritable set goes too. A kernel without
 * ambient capabilities (before 4.3) says EINVAL: there is nothing to clear.
 */
static void child_drop_capabilities(pp_linux_ctx *ctx) {
  struct pp_cap_header head = {PP_CAP_VERSION_3, 0};
  struct pp_cap_data data[2];
  long r = pp_sys5(SYS_prctl, PP_PR_CAP_AMBIENT, PP_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (r < 0 && r != -EINVAL) child_fail(ctx, r, PP_STEP_CAPS);
  r = pp_sys2(SYS_capget, &head, data);
  if (r < 0) child_fail(ctx, r, PP_STEP_CAPS);
  if (data[0].inheritable == 0 && data[1].inheritable == 0) return;
  data[0].inheritable = data[1].inheritable = 0;
  r = pp_sys2(SYS_capset, &head, data);
  if (r < 0) child_fail(ctx, r, PP_STEP_CAPS);
}

/*
 * Becomes who the request says, in the order that keeps the privilege to
 * finish: groups, gid, uid. What already is as asked is left alone (an
 * unprivileged caller may name its own ids, as child_process allows); a
 * real change that the kernel refuses fails the spawn. Set after the uid,
 * the parent-death signal survives (a credential change clears it); then
 * the parent is checked again, in case it died before the signal was armed.
 */
static void child_set_identity(pp_linux_ctx *ctx, const pp_creds *c, const pp_privs *p) {
  long r;
  int uid_changes = c->uid != PP_UNCHANGED && !child_ids_are(PP_SYS_getresuid, c->uid);
  int gid_changes = c->gid != PP_UNCHANGED && !child_ids_are(PP_SYS_getresgid, c->gid);
  if (c->ngroups != PP_UNCHANGED || uid_changes || gid_changes) {
    int n = c->ngroups == PP_UNCHANGED ? 0 : c->ngroups;
    if (!child_groups_are(n, c->groups)) {
      r = pp_sys2(PP_SYS_setgroups, n, n > 0 ? c->groups : NULL);
      if (r < 0) child_fail(ctx, r, PP_STEP_SETGROUPS);
    }
  }
  if (gid_changes) {
    r = pp_sys3(PP_SYS_setresgid, c->gid, c->gid, c->gid);
    if (r < 0) child_fail(ctx, r, PP_STEP_SETGID);
  }
  if (uid_changes) {
    if (p != NULL && (r = pp_linux_privs_keep(p)) < 0) child_fail(ctx, r, PP_STEP_CAPS);
    r = pp_sys3(PP_SYS_setresuid, c->uid, c->uid, c->uid);
    if (r < 0) child_fail(ctx, r, PP_STEP_SETUID);
  }
  /* Ambient capabilities asked for replace what a new identity would drop: privs.c sets them. */
  if ((uid_changes || gid_changes) && (p == NULL || !(p->flags & PP_PRIVS_AMBIENT)))
    child_drop_capabilities(ctx);
  if (c->umask != PP_UNCHANGED) pp_sys1(SYS_umask, c->umask);
  if (c->pdeathsig != 0) {
    r = pp_sys2(SYS_prctl, PR_SET_PDEATHSIG, c->pdeathsig);
    if (r < 0) child_fail(ctx, r, PP_STEP_PDEATHSIG);
    if (pp_sys0(SYS_getppid) != ctx->parent_pid) child_fail(ctx, -ESRCH, PP_STEP_PDEATHSIG);
  }
}

/*
 * Where clone could not start the child in its cgroup, it joins it before
 * anything else: "0" is the writer itself. Where clone did, the write
 * changes nothing.
 */
static void child_join_cgroup(pp_linux_ctx *ctx) {
  long r = pp_sys3(SYS_write, ctx->cgroup_procs, "0", 1);
  if (r < 0) child_fail(ctx, r, PP_STEP_CGROUP);
}

/* Marks every fd from lowfd up close-on-exec when close_range is missing. */
static long child_cloexec_from(int lowfd) {
  char buf[1024];
  long dir = pp_sys4(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir < 0) {
    struct pp_rlimit64 lim;
    long r = pp_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim);
    long max = r < 0 || lim.cur > 65536 ? 65536 : (long)lim.cur;
    for (long fd = lowfd; fd < max; fd++) pp_sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    return 0;
  }
  for (;;) {
    long n = pp_sys3(SYS_getdents64, dir, buf, sizeof(buf));
    if (n <= 0) {
      pp_sys1(SYS_close, dir);
      return n;
    }
    for (long off = 0; off < n;) {
      struct child_dirent64 *d = (struct child_dirent64 *)(buf + off);
      long fd = 0;
      const char *p = d->name;
      off += d->reclen;
      if (*p < '0' || *p > '9') continue;
      for (; *p >= '0' && *p <= '9'; p++) fd = fd * 10 + (*p - '0');
      if (fd >= lowfd && fd != dir) pp_sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    }
  }
}

/*
 * pp_linux_child is the whole life of the child until execve.
 *
 * Rules: only raw system calls (signal-safety(7) and less: errno is never
 * written, since the thread's TLS is shared with the parent); no malloc, no
 * locks, no stdio; nothing is looked up that the parent could have prepared;
 * every path ends in execve or child_fail(). Signals stay blocked, as the
 * parent blocked them before the clone, until every handler is back to
 * SIG_DFL: a handler of the parent's must never run on this stack.
 */
__attribute__((noinline)) int pp_linux_child(void *arg) {
  pp_linux_ctx *ctx = arg;
  const pp_spawn_req *req = ctx->req;
  uint64_t empty = 0;
  long r;

  child_reset_signals();
  if (ctx->cgroup_join) child_join_cgroup(ctx);
  /* The spawning thread's CPU mask, where it pinned itself for the clone (spawn.c). */
  if (ctx->affinity != NULL) {
    r = pp_sys3(SYS_sched_setaffinity, 0, ctx->affinity_size, ctx->affinity);
    if (r < 0) child_fail(ctx, r, PP_STEP_INTERMEDIATE);
  }
  if (req->flags & PP_SPAWN_SETSID) {
    r = pp_sys0(SYS_setsid);
    if (r < 0) child_fail(ctx, r, PP_STEP_SETSID);
  }
  child_setup_fds(ctx, req);
  /*
   * Marked close-on-exec rather than closed: exec closes them after it has
   * let the parent go (5.11); a plain close here would keep it waiting.
   */
  r = ctx->close_range ? pp_sys3(SYS_close_range, req->nfds, ~0U, PP_CLOSE_RANGE_CLOEXEC) : -ENOSYS;
  if (r == -EINVAL) r = pp_sys3(SYS_close_range, req->nfds, ~0U, 0);
  if (r == -ENOSYS) r = child_cloexec_from(req->nfds);
  if (r < 0) child_fail(ctx, r, PP_STEP_CLOSE_FDS);
  int step = PP_STEP_NONE;
  if (req->privs != NULL && (r = pp_linux_privs_before(req->privs, &step)) < 0)
    child_fail(ctx, r, step);
  /* The working directory is entered as the new identity, with its rights. */
  child_set_identity(ctx, &req->creds, req->privs);
  if (req->privs != NULL && (r = pp_linux_privs_after(req->privs, &step)) < 0)
    child_fail(ctx, r, step);
  if (req->cwd != NULL) {
    r = pp_sys1(SYS_chdir, req->cwd);
    if (r < 0) child_fail(ctx, r, PP_STEP_CHDIR);
  }
  pp_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, sizeof(empty));

  /* Like execvp: ENOENT and friends try the next candidate; EACCES is kept. */
  long err = -ENOENT;
  int saw_eacces = 0;
  for (const char *const *c = req->candidates; *c != NULL; c++) {
    r = pp_sys3(SYS_execve, *c, req->argv, req->envp);
    if (r == -EACCES) {
      saw_eacces = 1;
    } else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT) {
      err = r;
      break;
    }
  }
  if (err == -ENOENT && saw_eacces) err = -EACCES;
  child_fail(ctx, err, PP_STEP_EXECVE);
}
