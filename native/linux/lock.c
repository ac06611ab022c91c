/*
 * lock.c - the futex lock word of a hidden spawn, which its intermediate
 * takes to reap the child and kill() takes to signal it.
 *
 * Both sides share the word through CLONE_VM; the intermediate shares the
 * spawning thread's TLS too, so the lock is made of atomics and raw futex
 * calls only.
 */
#define _GNU_SOURCE
#include "linux.h"

void pp_linux_lock(int *word) {
  int c = 0;
  if (__atomic_compare_exchange_n(word, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  if (c != 2) c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
  while (c != 0) {
    pp_sys4(SYS_futex, word, PP_FUTEX_WAIT_PRIVATE, 2, NULL);
    c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
  }
}

void pp_linux_unlock(int *word) {
  if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2)
    pp_sys3(SYS_futex, word, PP_FUTEX_WAKE_PRIVATE, 1);
}
