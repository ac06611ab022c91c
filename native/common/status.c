/*
 * status.c - turning a wait(2) status word into a pp_status.
 */
#include <signal.h>
#include <sys/wait.h>

#include "backend.h"

void pp_status_from_wait(pp_status *st, int pid, int wstatus) {
  st->pid = pid;
  st->has_rusage = 0;
  if (WIFEXITED(wstatus)) {
    st->code = CLD_EXITED;
    st->status = WEXITSTATUS(wstatus);
  } else {
    st->code = WCOREDUMP(wstatus) ? CLD_DUMPED : CLD_KILLED;
    st->status = WTERMSIG(wstatus);
  }
}
