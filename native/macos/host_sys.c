/*
 * host_sys.c - the host's system calls on macOS.
 *
 * With the preload shim inserted (DYLD_INSERT_LIBRARIES), every image's
 * calls to wait4 and waitid lead to the shim's. The waits here use the
 * system call stubs under those names, which libSystem exports and no one
 * interposes: __wait4 (with the usage) and __waitid_nocancel. waitid gives
 * no usage, so a reap that wants it goes through __wait4 and rebuilds the
 * siginfo. Its children are not listed (children_none.c).
 */
#include "../common/host_sys.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int __wait4(pid_t pid, int *wstatus, int options, struct rusage *ru);
int __waitid_nocancel(idtype_t type, id_t id, siginfo_t *info, int options);

/* The waitid view of a wait(2) status word that reports an exit. */
static void macos_siginfo(siginfo_t *info, pid_t pid, int wstatus) {
  memset(info, 0, sizeof(*info));
  info->si_pid = pid;
  info->si_signo = SIGCHLD;
  if (WIFEXITED(wstatus)) {
    info->si_code = CLD_EXITED;
    info->si_status = WEXITSTATUS(wstatus);
  } else {
    info->si_code = WCOREDUMP(wstatus) ? CLD_DUMPED : CLD_KILLED;
    info->si_status = WTERMSIG(wstatus);
  }
}

long pp_sys_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru) {
  int saved = errno;
  long r;
  if (ru != NULL && type == P_PID && (options & (WNOWAIT | WSTOPPED | WCONTINUED)) == 0) {
    int wstatus = 0;
    memset(ru, 0, sizeof(*ru));
    r = __wait4((pid_t)id, &wstatus, options & WNOHANG, ru);
    if (r > 0) macos_siginfo(info, (pid_t)r, wstatus);
    if (r == 0) info->si_pid = 0;
  } else {
    if (ru != NULL) memset(ru, 0, sizeof(*ru));
    info->si_pid = 0;
    r = __waitid_nocancel(type, id, info, options);
  }
  r = r < 0 ? -errno : 0;
  errno = saved;
  return r;
}

long pp_sys_wait4(int pid, int *wstatus, int options, struct rusage *ru) {
  int saved = errno;
  long r = __wait4(pid, wstatus, options, ru);
  if (r < 0) r = -errno;
  errno = saved;
  return r;
}
