/*
 * raw.c - the child's signal calls, made to the kernel without libthr.
 */
#include <errno.h>
#include <unistd.h>

#include "sys.h"

int pp_freebsd_sigaction(int sig, const struct sigaction *act) {
  return syscall(SYS_sigaction, sig, act, NULL) == 0 ? 0 : -errno;
}

int pp_freebsd_sigmask(int how, const sigset_t *set) {
  return syscall(SYS_sigprocmask, how, set, NULL) == 0 ? 0 : -errno;
}

int pp_freebsd_nsig(void) {
  return _SIG_MAXSIG;
}
