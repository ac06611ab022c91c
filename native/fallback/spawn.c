/*
 * spawn.c - the fallback backend's spawn: posix_spawn, with the pid in the
 * table before the table lock is let go.
 *
 * The spawn attributes reset every signal to SIG_DFL and empty the mask;
 * file actions put the stdio slots in place and close everything above
 * them. Nothing runs in the child before exec, so its slots are made
 * blocking here, before the spawn: O_NONBLOCK belongs to the open file
 * description, which the child's fds share. The PATH candidates are
 * searched in the parent, so that one child is started, never one per
 * failed candidate (each would be an exit that other reapers see).
 * posix_spawn reports an exec failure with its errno only; the step is
 * recovered by checking, in the parent, what could have failed.
 */
#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/slots.h"
#include "../common/table.h"
#include "ident.h"
#include "spawn_sys.h"

/* Puts every slot's source, blocking, where no dup2 of another slot can overwrite it. */
static int fallback_file_actions(const pp_spawn_req *req, posix_spawn_file_actions_t *fa, int *temp,
                                 short *flags) {
  for (int i = 0; i < req->nfds; i++) temp[i] = -1;
  for (int i = 0; i < req->nfds; i++) {
    int src = req->fds[i], r;
    if (src >= 0 && fcntl(src, F_GETFD) < 0) return -EBADF;
    if (src >= 0 && (r = pp_fd_make_blocking(src)) < 0) return r;
    if (src >= 0 && src < req->nfds && src != i) {
      temp[i] = fcntl(src, F_DUPFD_CLOEXEC, req->nfds);
      if (temp[i] < 0) return -errno;
    }
  }
  for (int i = 0; i < req->nfds; i++) {
    int src = temp[i] >= 0 ? temp[i] : req->fds[i];
    int r = src == PP_FD_CLOSED ? pp_spawn_slot_closed(fa, i) : pp_spawn_slot_dup(fa, src, i);
    if (r != 0) return -r;
  }
  int r = pp_spawn_close_above(fa, req->nfds, flags);
  if (r == 0 && req->cwd != NULL) r = pp_spawn_chdir(fa, req->cwd);
  return -r;
}

/* Which step most likely failed, for an errno that posix_spawn gave without one. */
static int fallback_step(const pp_spawn_req *req, int err) {
  struct stat st;
  if (req->cwd != NULL && err == -ENOTSUP) return PP_STEP_CHDIR;
  if (req->cwd != NULL &&
      (stat(req->cwd, &st) < 0 || !S_ISDIR(st.st_mode) || access(req->cwd, X_OK) < 0)) {
    return PP_STEP_CHDIR;
  }
  if (err == -EBADF) return PP_STEP_DUP2;
  /*
   * What the clone refuses, and what exec cannot plausibly say of a file
   * the parent found executable a moment ago.
   */
  if (err == -EAGAIN || err == -ENOMEM || err == -ENOSYS || err == -ENFILE) return PP_STEP_CLONE;
  return PP_STEP_EXECVE;
}

/*
 * Picks the candidate execvp would run: the first that is a regular file
 * the caller may execute. ENOENT, or EACCES when one was found but none
 * could be run. The exec itself may still fail (ENOEXEC, a race).
 */
static int fallback_search(const char *const *candidates, const char **found) {
  int err = -ENOENT;
  for (const char *const *c = candidates; *c != NULL; c++) {
    struct stat st;
    if (stat(*c, &st) != 0) {
      if (errno == EACCES) err = -EACCES;
      continue;
    }
    if (S_ISREG(st.st_mode) && faccessat(AT_FDCWD, *c, X_OK, AT_EACCESS) == 0) {
      *found = *c;
      return 0;
    }
    err = -EACCES;
  }
  return err;
}

/* The identity options need code between fork and exec that posix_spawn does not run. */
static int fallback_creds_supported(const pp_creds *c) {
  return c->uid == PP_UNCHANGED && c->gid == PP_UNCHANGED && c->ngroups == PP_UNCHANGED &&
         c->umask == PP_UNCHANGED && c->pdeathsig == 0;
}

int pp_fallback_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  pp_sigmask saved;
  int temp[1024], r;
  const char *file = NULL;
  pid_t pid = -1;

  if (!fallback_creds_supported(&req->creds) || req->privs != NULL ||
      (req->flags & PP_SPAWN_HIDDEN)) {
    *err = (pp_spawn_error){-ENOTSUP, PP_STEP_NONE};
    return -ENOTSUP;
  }
  if (req->nfds > 1024) {
    *err = (pp_spawn_error){-EINVAL, PP_STEP_DUP2};
    return -EINVAL;
  }
  if ((req->flags & PP_SPAWN_SETSID) && PP_SPAWN_SETSID_FLAG == 0) {
    *err = (pp_spawn_error){-ENOTSUP, PP_STEP_SETSID};
    return -ENOTSUP;
  }
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                (req->flags & PP_SPAWN_SETSID ? PP_SPAWN_SETSID_FLAG : 0);
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawn_file_actions_init(&fa);
  r = fallback_file_actions(req, &fa, temp, &flags);
  posix_spawnattr_setflags(&attr, flags);
  if (r == 0) r = fallback_search(req->candidates, &file);
  if (r == 0) {
    /* No wait of ours may see the pid before it is in the table. */
    pp_table_lock(&saved);
    r = -posix_spawn(&pid, file, &fa, &attr, req->argv, req->envp);
    if (r == 0) {
      child->pid = pid;
      child->reap_pid = pid;
      child->fd = -1;
      child->aux_fd = pp_fallback_ident_open(pid);
      child->backend = &pp_fallback_backend;
      pp_table_insert_locked(child);
      pp_fallback_notify_arm(child);
    }
    pp_table_unlock(&saved);
  }
  for (int i = 0; i < req->nfds; i++) {
    if (temp[i] >= 0) close(temp[i]);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (r < 0) *err = (pp_spawn_error){r, fallback_step(req, r)};
  return r;
}
