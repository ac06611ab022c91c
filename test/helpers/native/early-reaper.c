/*
 * early-reaper.c: a library to preload beside the shim (LD_PRELOAD="<shim> early-reaper.so"),
 * standing for any preloaded library whose constructor starts a thread that reaps with
 * waitpid(-1), as a foreign reaper in a host does.
 *
 * Its constructor runs before the shim's (the dynamic loader runs the constructors of the objects
 * loaded last first), and does not return before its thread's first waitpid(-1, WNOHANG) has: so
 * that first wait reaches the shim before the shim's constructor has run, every time. Then the
 * thread loops on a blocking waitpid(-1), sleeping 200 us after each ECHILD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int first_wait_done;

static void *early_reaper_loop(void *arg) {
  (void)arg;
  int st;
  waitpid(-1, &st, WNOHANG);
  atomic_store(&first_wait_done, 1);
  for (;;) {
    if (waitpid(-1, &st, 0) < 0 && errno == ECHILD) usleep(200);
  }
  return NULL;
}

__attribute__((constructor)) static void early_reaper_start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, early_reaper_loop, NULL) != 0) return;
  pthread_detach(t);
  while (!atomic_load(&first_wait_done)) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
}
