/*
 * host_wait.h - the host program's own waits, which never report a private
 * child: the package's waitpid(), and the preload shim's wait family.
 */
#ifndef PP_HOST_WAIT_H
#define PP_HOST_WAIT_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "backend.h"

/* pp_wait_result is one event a wait reports, in every shape the family needs. */
typedef struct pp_wait_result {
  siginfo_t info;   /* as waitid(2) fills it (from pp_host_wait4: only si_signo and si_pid) */
  int wstatus;      /* the same event as a wait(2) status word */
  struct rusage ru; /* the child's usage when it was reaped, else zeros */
} pp_wait_result;

/*
 * pp_host_wait is waitid(type, id, options) that never reports a private
 * child: an exited private child it meets is reaped for its handle (and a
 * stop or continue of one is consumed) and the wait goes on. options are
 * waitid's (WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT, __WALL...).
 * Returns 1 with *out, 0 with WNOHANG when nothing is ready, or -errno:
 * -ECHILD too when the only children left are private. It allocates
 * nothing and takes the table lock only with every signal blocked, so it
 * may run in a signal handler.
 */
int pp_host_wait(idtype_t type, id_t id, int options, pp_wait_result *out);

/*
 * pp_host_wait4 is wait4(pid, options) that never reports a private
 * child, as pp_host_wait does; options are wait4's (WNOHANG, WUNTRACED,
 * WCONTINUED, __WALL...). An ordinary child's event is taken with the
 * kernel's wait4, so that out->wstatus and out->ru are the kernel's own,
 * ptrace event bits included; out->info has only si_signo and si_pid.
 */
int pp_host_wait4(int pid, int options, pp_wait_result *out);

/*
 * pp_host_waitpid is the package's waitpid(pid) for exits only: 1 with *st,
 * 0 when nohang and nothing has exited, or -errno.
 */
int pp_host_waitpid(int pid, int nohang, pp_status *st);

/* pp_wait_target turns a waitpid pid (-1, 0, -pgid, pid) into waitid's type and id. */
void pp_wait_target(int pid, idtype_t *type, id_t *id);

#endif
