/*
 * orphans.c - one thread that reaps the private children nobody watches.
 */
#define _GNU_SOURCE
#include "orphans.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "host_sys.h"
#include "table.h"

static pthread_mutex_t orphans_mutex = PTHREAD_MUTEX_INITIALIZER;
static pp_child **orphans;
static int orphans_count, orphans_capacity;
/* The thread's wake-up channel (host_sys.h): the read side is polled. */
static int orphans_wake = -1, orphans_wake_write = -1;

/*
 * Reaps every orphan that has exited. Each is tried on every round: a
 * descriptor does not always tell (a hidden child's eventfd is never
 * written when its intermediate was killed), and try_reap is cheap. The
 * backend's release closes what the orphan held, its descriptor included.
 */
static void orphans_reap(void) {
  pthread_mutex_lock(&orphans_mutex);
  for (int k = 0; k < orphans_count;) {
    pp_child *c = orphans[k];
    pp_status st;
    if (c->backend->try_reap(c, &st) == -EAGAIN) {
      k++;
      continue;
    }
    c->backend->release(c);
    free(c);
    orphans[k] = orphans[--orphans_count];
  }
  pthread_mutex_unlock(&orphans_mutex);
}

static void *orphans_main(void *arg) {
  struct pollfd *fds = NULL;
  (void)arg;
  for (;;) {
    int n = 0, count;
    pthread_mutex_lock(&orphans_mutex);
    count = orphans_count;
    struct pollfd *more = realloc(fds, (size_t)(orphans_count + 1) * sizeof(*fds));
    if (more != NULL) {
      fds = more;
      fds[n++] = (struct pollfd){.fd = orphans_wake, .events = POLLIN};
      for (int k = 0; k < orphans_count; k++) {
        int fd = -1, kind = orphans[k]->backend->watch(orphans[k], &fd);
        if (kind != PP_WATCH_SIGCHLD && fd >= 0)
          fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
      }
    }
    pthread_mutex_unlock(&orphans_mutex);
    if (n == 0) {
      /* Out of memory: try again in a while rather than spin. */
      usleep(100 * 1000);
      continue;
    }
    /* A ready descriptor wakes the thread at once; every orphan is also tried every 100 ms. */
    if (poll(fds, (nfds_t)n, count > 0 ? 100 : -1) < 0) continue;
    if (fds[0].revents != 0) pp_sys_wake_drain(orphans_wake);
    orphans_reap();
  }
  return NULL;
}

/* Starts the thread once, with every signal blocked: Node's stay Node's. */
static int orphans_start(void) {
  sigset_t all, saved;
  pthread_t thread;
  pthread_attr_t attr;
  int err = pp_sys_wake_open(&orphans_wake, &orphans_wake_write);
  if (err < 0) return err;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int r = pthread_create(&thread, &attr, orphans_main, NULL);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  pthread_attr_destroy(&attr);
  if (r != 0) {
    if (orphans_wake_write != orphans_wake) close(orphans_wake_write);
    close(orphans_wake);
    orphans_wake = orphans_wake_write = -1;
    return -r;
  }
  return 0;
}

int pp_orphans_adopt(pp_child *child) {
  int r = 0;
  pp_child *copy = malloc(sizeof(*copy));
  if (copy == NULL) return -ENOMEM;
  pthread_mutex_lock(&orphans_mutex);
  if (orphans_wake < 0) r = orphans_start();
  if (r == 0 && orphans_count == orphans_capacity) {
    int cap = orphans_capacity ? orphans_capacity * 2 : 16;
    pp_child **more = realloc(orphans, (size_t)cap * sizeof(*more));
    if (more == NULL)
      r = -ENOMEM;
    else {
      orphans = more;
      orphans_capacity = cap;
    }
  }
  if (r == 0) {
    /* The table chains the child's own struct: move the copy in its place. */
    pp_sigmask saved;
    pp_table_lock(&saved);
    int listed = child->in_table;
    pp_table_remove_locked(child);
    *copy = *child;
    copy->next = NULL;
    copy->in_table = 0;
    if (listed) pp_table_insert_locked(copy);
    pp_table_unlock(&saved);
    orphans[orphans_count++] = copy;
    /* What the backend holds now belongs to the copy. */
    child->fd = -1;
    child->aux_fd = -1;
    child->priv = NULL;
    pp_sys_wake(orphans_wake_write);
  }
  pthread_mutex_unlock(&orphans_mutex);
  if (r != 0) free(copy);
  return r;
}
