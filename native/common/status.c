/*
 * status.c - turning what the wait family reports into a pp_status.
 */
#include <signal.h>
#include <stddef.h>
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

void pp_status_rusage(pp_status *st, const struct rusage *ru) {
  st->has_rusage = 1;
  st->utime_us = (int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
  st->stime_us = (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
  st->maxrss_kb = ru->ru_maxrss;
}

void pp_status_from_siginfo(pp_status *st, const siginfo_t *info, const struct rusage *ru) {
  st->pid = info->si_pid;
  st->code = info->si_code;
  st->status = info->si_status;
  st->has_rusage = 0;
  if (ru != NULL) pp_status_rusage(st, ru);
}
