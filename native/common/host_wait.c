/*
 * host_wait.c - the host's waits, which never hand out a private status.
 *
 * They look before they reap: waitid(WNOWAIT) names the child that has an
 * event; under the table lock a private one is reaped through its backend
 * and stashed for its handle, an ordinary one is reaped and reported.
 * Spawning holds the same lock until the new pid is in the table, so a
 * private child is never taken for an ordinary one.
 *
 * An ordinary child's event is the kernel's, untouched: the wait(2) shapes
 * (pp_host_wait4) take it with the kernel's wait4, whose status word and
 * usage they hand on as they are (a tracer reads the ptrace event from bits
 * 16 and up of a stop's status, which no siginfo-built word has), and the
 * waitid shape takes it with the kernel's waitid, whose siginfo it hands on.
 *
 * This file also runs inside the preload shim, in signal handlers: it makes
 * the kernel's waits (host_sys.h: the shim interposes the C library's wait
 * functions), allocates nothing and uses no stdio.
 */
#define _GNU_SOURCE
#include "host_wait.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "host_sys.h"
#include "table.h"

/* The kernel's waits, never an interposed one (see host_sys.h). */
static long host_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru) {
  return pp_sys_waitid(type, id, info, options, ru);
}

/* What host_has_ordinary asks of each child: its wait's type and id. */
struct host_wanted {
  idtype_t type;
  id_t id;
};

/* 1 when pid is an ordinary child of the kind the wait asks for (in the group for P_PGID). */
static int host_is_ordinary(long pid, void *arg) {
  const struct host_wanted *w = arg;
  if (pp_table_find_locked((int)pid) != NULL) return 0;
  return w->type != P_PGID || pp_sys_pgid_of(pid) == (long)w->id;
}

/*
 * 1 when this process has an ordinary child the wait could report later,
 * 0 when all of its children of that kind are private, -1 when the system
 * cannot tell. Each child is checked against the table by pid: a count
 * would be wrong whenever a child was reaped by a wait that bypassed it.
 * With no private child at all every waitable is ordinary, tracees that
 * are not children (listed nowhere) included: the kernel's answer stands.
 */
static int host_has_ordinary(idtype_t type, id_t id) {
  struct host_wanted w = {type, id};
  if (pp_table_count_locked() == 0) return 1;
  return pp_sys_each_child(host_is_ordinary, &w);
}

/* The wait(2) status word of the event waitid described (only a stashed exit needs one built). */
static int host_wstatus(const siginfo_t *info) {
  switch (info->si_code) {
    case CLD_EXITED:
      return (info->si_status & 0xff) << 8;
    case CLD_KILLED:
      return info->si_status & 0x7f;
    case CLD_DUMPED:
      return (info->si_status & 0x7f) | 0x80;
    case CLD_STOPPED:
    case CLD_TRAPPED:
      /* A ptrace event stop's si_status is SIGTRAP | PTRACE_EVENT_x << 8: all of it is kept. */
      return ((info->si_status & 0xffff) << 8) | 0x7f;
    case CLD_CONTINUED:
      return PP_WSTATUS_CONTINUED;
    default:
      return 0;
  }
}

static int host_is_exit(const siginfo_t *info) {
  return info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
}

/*
 * A private child that libuv reaps (an adopted ChildProcess): a wait for
 * any child takes its exit and keeps it for libuv's own waitpid(pid).
 */
static void host_keep_for_libuv(pp_child *child) {
  struct rusage ru;
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  if (host_waitid(P_PID, (id_t)child->reap_pid, &info, WEXITED | WNOHANG, &ru) < 0) return;
  if (info.si_pid == 0) return;
  pp_status_from_siginfo(&child->stash, &info, &ru);
  child->stashed = 1;
}

/* Hands a private child's event to its handle: reaps it, or drops a stop or continue. */
static void host_take_private(pp_child *child, const siginfo_t *peek, int options) {
  siginfo_t drop;
  pp_status st;
  if (!host_is_exit(peek)) {
    /* A stop or continue of a private child is nobody else's business. */
    host_waitid(P_PID, (id_t)peek->si_pid, &drop, (options & ~(WEXITED | WNOWAIT)) | WNOHANG, NULL);
  } else if (child->owner == PP_OWNER_LIBUV) {
    host_keep_for_libuv(child);
  } else {
    int r = child->backend->try_reap(child, &st);
    if (r == 0) pp_table_stash_locked(child, &st);
    /* A backend that cannot reap it would have us look at it forever: let it go. */
    else if (r != -EAGAIN)
      pp_table_remove_locked(child);
  }
}

/*
 * Takes the event an ordinary child has with the kernel's wait4 and its
 * caller's options: 1 with the kernel's status word and usage, 2 when the
 * event went meanwhile (look again), or -errno.
 */
static int host_take_wait4(pid_t pid, int wait4_options, pp_wait_result *out) {
  int wstatus = 0;
  long r = pp_sys_wait4(pid, &wstatus, wait4_options | WNOHANG, &out->ru);
  /* Gone: reaped by a wait that bypassed the table, or its stop was continued. */
  if (r == 0 || r == -ECHILD) return 2;
  if (r < 0) return (int)r;
  out->info.si_signo = SIGCHLD;
  out->info.si_pid = (pid_t)r;
  out->wstatus = wstatus;
  return 1;
}

static int host_wstatus_is_exit(int wstatus) {
  return WIFEXITED(wstatus) || WIFSIGNALED(wstatus);
}

/*
 * One look under the lock: 1 with *out for an ordinary child, 0 when
 * nothing is ready, 2 when a private child's event was taken (look again),
 * or -errno. wait4_options is NULL for the waitid shape, else the wait(2)
 * options the event is taken with.
 */
static int host_look(idtype_t type, id_t id, int options, const int *wait4_options,
                     pp_wait_result *out) {
  siginfo_t peek;
  memset(&peek, 0, sizeof(peek));
  long r = host_waitid(type, id, &peek, options | WNOHANG | WNOWAIT, NULL);
  if (r < 0) return (int)r;
  if (peek.si_pid == 0) {
    /* Children exist, none has an event: only private ones left means ECHILD. */
    if (type != P_PID && host_has_ordinary(type, id) == 0) return -ECHILD;
    return 0;
  }
  pp_child *child = pp_table_find_locked(peek.si_pid);
  if (child != NULL && !(type == P_PID && child->owner == PP_OWNER_LIBUV)) {
    host_take_private(child, &peek, options);
    return 2;
  }
  memset(out, 0, sizeof(*out));
  if (wait4_options != NULL) {
    int t = host_take_wait4(peek.si_pid, *wait4_options, out);
    if (t == 1 && child != NULL && host_wstatus_is_exit(out->wstatus))
      pp_table_remove_locked(child);
    return t;
  }
  if (options & WNOWAIT) {
    out->info = peek;
  } else {
    r = host_waitid(P_PID, (id_t)peek.si_pid, &out->info, options | WNOHANG, &out->ru);
    if (r == -ECHILD || (r == 0 && out->info.si_pid == 0)) return 2;
    if (r < 0) return (int)r;
    if (child != NULL && host_is_exit(&out->info)) pp_table_remove_locked(child);
  }
  out->wstatus = host_wstatus(&out->info);
  return 1;
}

/* The siginfo of the exit a status describes, as waitid would have filled it. */
static void host_siginfo_from_status(siginfo_t *info, const pp_status *st) {
  memset(info, 0, sizeof(*info));
  info->si_signo = SIGCHLD;
  info->si_pid = st->pid;
  info->si_code = st->code;
  info->si_status = st->status;
}

/*
 * A wait for one pid that is private: ECHILD, except for libuv's own wait
 * for an adopted ChildProcess, which gets the exit kept for it; 2 to go
 * on with an ordinary look.
 */
static int host_wait_private_pid(pp_child *child, int options, pp_wait_result *out) {
  if (child->owner != PP_OWNER_LIBUV) return -ECHILD;
  if (!child->stashed) return 2;
  memset(out, 0, sizeof(*out));
  host_siginfo_from_status(&out->info, &child->stash);
  out->wstatus = host_wstatus(&out->info);
  if (!(options & WNOWAIT)) {
    child->stashed = 0;
    pp_table_remove_locked(child);
  }
  return 1;
}

static int host_wait(idtype_t type, id_t id, int options, const int *wait4_options,
                     pp_wait_result *out) {
  for (;;) {
    pp_sigmask saved;
    int r = 2;
    pp_table_lock(&saved);
    pp_child *child = type == P_PID ? pp_table_find_locked((int)id) : NULL;
    if (child != NULL) r = host_wait_private_pid(child, options, out);
    if (r == 2) r = host_look(type, id, options, wait4_options, out);
    pp_table_unlock(&saved);
    if (r == 2) continue;
    if (r != 0 || (options & WNOHANG)) return r;
    /* Block until some child has an event, leaving it for the locked look. */
    siginfo_t peek;
    long b = host_waitid(type, id, &peek, options | WNOWAIT, NULL);
    if (b < 0) return (int)b;
  }
}

/* The system calls above may set errno: a signal handler's caller must not see it change. */
int pp_host_wait(idtype_t type, id_t id, int options, pp_wait_result *out) {
  int saved = errno;
  int r = host_wait(type, id, options, NULL, out);
  errno = saved;
  return r;
}

/* The waitid options that wait(2)'s options stand for. */
static int host_waitid_options(int options) {
  int out = WEXITED;
  if (options & WUNTRACED) out |= WSTOPPED;
  if (options & WCONTINUED) out |= WCONTINUED;
  if (options & WNOHANG) out |= WNOHANG;
  return out | (options & PP_WAIT_LINUX_OPTIONS);
}

int pp_host_wait4(int pid, int options, pp_wait_result *out) {
  idtype_t type;
  id_t id;
#if defined(__linux__)
  /* What the kernel's wait4 refuses, refused before anything is taken. */
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | PP_WAIT_LINUX_OPTIONS)) return -EINVAL;
#endif
  /* -INT_MIN is no pid nor group: the kernel's wait4 answers ESRCH. */
  if (pid == INT_MIN) return -ESRCH;
  pp_wait_target(pid, &type, &id);
  int saved = errno, wait4_options = options & ~WNOHANG;
  int r = host_wait(type, id, host_waitid_options(options), &wait4_options, out);
  errno = saved;
  return r;
}

void pp_wait_target(int pid, idtype_t *type, id_t *id) {
  *type = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
  /* waitid(P_PGID, 0) means "my group" only since Linux 5.4: name it. */
  *id = pid == -1 ? 0 : pid > 0 ? (id_t)pid : pid == 0 ? (id_t)getpgrp() : (id_t)-pid;
}

int pp_host_waitpid(int pid, int nohang, pp_status *st) {
  idtype_t type;
  id_t id;
  pp_wait_result w;
  pp_wait_target(pid, &type, &id);
  int r;
  do {
    r = pp_host_wait(type, id, WEXITED | (nohang ? WNOHANG : 0), &w);
  } while (r == -EINTR);
  if (r != 1) return r;
  pp_status_from_siginfo(st, &w.info, &w.ru);
  return 1;
}
