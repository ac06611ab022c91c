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
 * table lock only with every signal blocked. They also run in fork children
 * of a multithreaded process (waitpid is async-signal-safe), where the lock
 * is found free and the table empty (table.c), and before the shim's
 * constructor (a preloaded library's thread), where they enter no loader.
 * An ordinary child's event is the kernel's own: wait, waitpid, wait3 and
 * wait4 hand on the kernel's wait4 status word and usage (tracers read the
 * ptrace event in it), waitid the kernel's siginfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../common/host_wait.h"
#include "../common/table.h"
#include "shim.h"

#define PP_EXPORT __attribute__((visibility("default")))

/* private_process_shim tells the addon that the shim is loaded (table.h, PP_SHIM_SYMBOL). */
PP_EXPORT const int private_process_shim = 1;

/*
 * The shim owns the process's table (table.c): loaded first, its table is
 * the one every copy of the addon finds, and it never looks for another. A
 * wait may come before the constructor below has run (a thread that an
 * earlier constructor started), and needs nothing from it.
 */
__attribute__((visibility("hidden"))) const volatile int pp_table_owner = 1;

/* Registers the table's fork handler (table.c) when the shim is loaded, not in a wait. */
__attribute__((constructor)) static void shim_init(void) {
  pp_table_get();
}

/* The common body of waitpid, wait3 and wait4: the kernel's status word and usage. */
static pid_t shim_wait4(pid_t pid, int *status, int options, struct rusage *ru) {
  pp_wait_result w;
  int r = pp_host_wait4(pid, options, &w);
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
