/*
 * compat.h - what differs between the systems the common code builds on.
 */
#ifndef PP_COMPAT_H
#define PP_COMPAT_H

#include <signal.h>
#include <stdint.h>

#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>

/* pp_sigmask is a signal mask as the kernel keeps it: every signal, 1 to _NSIG - 1. */
typedef struct pp_sigmask {
  unsigned long bits[(_NSIG + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long))];
} pp_sigmask;

/*
 * pp_signals_block_all blocks every signal, saving the old mask in *saved.
 * It calls rt_sigprocmask itself: the C library's sigprocmask leaves its
 * own internal signals (glibc's 32 and 33, for thread cancellation and
 * setuid broadcasts) unblocked, and their handlers must not run in a task
 * that shares this thread's memory and TLS.
 */
static inline void pp_signals_block_all(pp_sigmask *saved) {
  pp_sigmask all;
  for (unsigned i = 0; i < sizeof(all.bits) / sizeof(all.bits[0]); i++) all.bits[i] = ~0UL;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, saved, (_NSIG - 1) / 8);
}

/* pp_signals_restore puts back the mask pp_signals_block_all saved. */
static inline void pp_signals_restore(const pp_sigmask *saved) {
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, saved, NULL, (_NSIG - 1) / 8);
}

#else
#include <pthread.h>

typedef sigset_t pp_sigmask;

static inline void pp_signals_block_all(pp_sigmask *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, saved);
}

static inline void pp_signals_restore(const pp_sigmask *saved) {
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

#endif

#endif
