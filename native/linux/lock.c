/*
 * lock.c - the futex lock word of a hidden spawn, which its intermediate
 * takes to reap the child and kill() takes to signal it.
 *
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   futex                           2.6      the lock itself
 *   set_robust_list                 2.6.17   an intermediate that dies holding the lock
 *
 * Both sides share the word through CLONE_VM; the intermediate shares the
 * spawning thread's TLS too, so the lock is made of atomics and raw futex
 * calls only. The word follows the kernel's robust futex protocol: it
 * holds the owner's id, FUTEX_WAITERS while someone waits, and
 * FUTEX_OWNER_DIED once the kernel found its owner dead (the intermediate
 * lists the word as robust, intermediate.c): the next taker takes it over
 * then, instead of waiting for ever. The kernel wakes the waiters of a dead
 * owner's word as a shared futex, so every wait and wake here is shared.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <linux/futex.h>

void pp_linux_lock(int *word, int id) {
  int c = 0;
  if (__atomic_compare_exchange_n(word, &c, id, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  for (;;) {
    if (c == 0 || (c & FUTEX_OWNER_DIED)) {
      /* Free, or its owner died holding it. Others may wait: the release must wake one. */
      if (__atomic_compare_exchange_n(word, &c, id | FUTEX_WAITERS, 0, __ATOMIC_ACQUIRE,
                                      __ATOMIC_RELAXED))
        return;
      continue;
    }
    if (!(c & FUTEX_WAITERS) && !__atomic_compare_exchange_n(word, &c, c | FUTEX_WAITERS, 0,
                                                             __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      continue;
    pp_sys4(SYS_futex, word, PP_FUTEX_WAIT, c | FUTEX_WAITERS, NULL);
    c = __atomic_load_n(word, __ATOMIC_RELAXED);
  }
}

void pp_linux_unlock(int *word) {
  if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) & FUTEX_WAITERS)
    pp_sys3(SYS_futex, word, PP_FUTEX_WAKE, 1);
}
