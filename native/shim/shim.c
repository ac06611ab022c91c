/*
 * shim.c - the preload shim: the C library's wait family, made private-aware.
 *
 * Loaded with LD_PRELOAD (DYLD_INSERT_LIBRARIES on macOS: see shim.h), it
 * interposes wait, waitpid, wait3, wait4 and waitid for all native code in the
 * process, and owns the process's table of private children: loaded
 * first, its table (table.c, PP_TABLE_SYMBOL) is the one every copy of the
 * addon finds and uses. A foreign waitpid(-1) then
 * never returns a private child: the child is reaped for its handle, its
 * status stashed, and the call goes on. Blocking calls stay blocking,
 * WNOHANG calls stay non-blocking, and ECHILD comes back when only private
 * children are left.
 *
 * These functions run in signal handlers (a SIGCHLD handler reaping in a
 * loop is the classic caller): pp_host_wait allocates nothing and takes the
 * table lock only with every signal blocked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../common/host_sys.h"
#include "../common/host_wait.h"
#include "../common/table.h"
#include "shim.h"

#define PP_EXPORT __attribute__((visibility("default")))

/* private_process_shim tells the addon that the shim is loaded (table.h, PP_SHIM_SYMBOL). */
PP_EXPORT const int private_process_shim = 1;

/*
 * Picks and sets up the table when the shim is loaded: the first use must
 * not happen in a signal handler, where dlsym and pthread_once are unsafe.
 */
__attribute__((constructor)) static void shim_init(void) {
  pp_table_get();
}

/* The waitid options that waitpid's options stand for. */
static int shim_waitpid_options(int options) {
  int out = WEXITED;
  if (options & WUNTRACED) out |= WSTOPPED;
  if (options & WCONTINUED) out |= WCONTINUED;
  if (options & WNOHANG) out |= WNOHANG;
  return out | (options & PP_WAIT_LINUX_OPTIONS);
}

/* The common body of waitpid, wait3 and wait4. */
static pid_t shim_wait4(pid_t pid, int *status, int options, struct rusage *ru) {
  idtype_t type;
  id_t id;
  pp_wait_result w;
  pp_wait_target(pid, &type, &id);
  int r = pp_host_wait(type, id, shim_waitpid_options(options), &w);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  if (r == 0) return 0;
  if (status != NULL) *status = w.wstatus;
  if (ru != NULL) *ru = w.ru;
  return w.info.si_pid;
}

pid_t PP_SHIM_FN(waitpid)(pid_t pid, int *status, int options) {
  return shim_wait4(pid, status, options, NULL);
}

pid_t PP_SHIM_FN(wait)(int *status) {
  return shim_wait4(-1, status, 0, NULL);
}

pid_t PP_SHIM_FN(wait3)(int *status, int options, struct rusage *ru) {
  return shim_wait4(-1, status, options, ru);
}

pid_t PP_SHIM_FN(wait4)(pid_t pid, int *status, int options, struct rusage *ru) {
  return shim_wait4(pid, status, options, ru);
}

int PP_SHIM_FN(waitid)(idtype_t type, id_t id, siginfo_t *info, int options) {
  pp_wait_result w;
  int r = pp_host_wait(type, id, options, &w);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  if (info != NULL) {
    if (r == 0)
      memset(info, 0, sizeof(*info));
    else
      *info = w.info;
  }
  return 0;
}
