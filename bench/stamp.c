/*
 * stamp.c: prints the CLOCK_MONOTONIC time in nanoseconds, then exits at once. bench/contender.mjs
 * runs it to measure how long a wait takes to settle after the child's exit: Node's
 * process.hrtime.bigint() reads the same clock.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec t;
  char line[32];
  clock_gettime(CLOCK_MONOTONIC, &t);
  int n = snprintf(line, sizeof(line), "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
  if (write(1, line, (size_t)n) != n) return 1;
  _exit(0);
}
