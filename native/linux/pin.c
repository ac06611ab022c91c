/*
 * pin.c - the spawning thread pinned to its CPU around a clone.
 *
 * A task cloned while the spawning thread runs on one CPU only is queued
 * on that CPU, and runs there as soon as the thread waits, instead of
 * queueing behind a busy CPU's tasks. The child takes the thread's own
 * mask back before exec (child.c), an intermediate once it has started
 * its child (intermediate.c).
 */
#define _GNU_SOURCE
#include "linux.h"

int pp_linux_pin(pp_linux_ctx *ctx, unsigned long *saved, size_t size) {
  unsigned cpu = 0;
  unsigned long one[16] = {0};
  ctx->affinity = NULL;
  ctx->affinity_size = 0;
  long got = pp_sys3(SYS_sched_getaffinity, 0, size, saved);
  if (got <= 0 || (size_t)got > sizeof(one) || pp_sys3(SYS_getcpu, &cpu, NULL, NULL) != 0 ||
      cpu >= 8 * (size_t)got)
    return 0;
  one[cpu / (8 * sizeof(long))] = 1UL << (cpu % (8 * sizeof(long)));
  if (pp_sys3(SYS_sched_setaffinity, 0, got, one) != 0) return 0;
  ctx->affinity = saved;
  ctx->affinity_size = (unsigned)got;
  return 1;
}

void pp_linux_unpin(const pp_linux_ctx *ctx) {
  pp_sys3(SYS_sched_setaffinity, 0, ctx->affinity_size, ctx->affinity);
}
