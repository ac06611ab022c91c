/*
 * table.c - the process-wide table of private children: a fixed array of
 * buckets chaining the callers' own pp_child structures, so that nothing is
 * allocated under the lock.
 *
 * There is one table per process. When the preload shim is loaded it owns
 * it (the symbol pp_shim_table) and the addon uses the shim's, found at the
 * first use: the waits the shim intercepts and the children the addon
 * spawns meet in the same table.
 */
#define _GNU_SOURCE
#include "table.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

static pp_table table_own = {.version = PP_TABLE_VERSION, .once = PTHREAD_ONCE_INIT};
static pp_table *table_used;
static pthread_once_t table_pick_once = PTHREAD_ONCE_INIT;

static void table_pick(void) {
  pp_table *shared = dlsym(RTLD_DEFAULT, PP_SHIM_TABLE_SYMBOL);
  table_used = shared != NULL && shared->version == PP_TABLE_VERSION ? shared : &table_own;
}

/* Recursive: the host's waits reap through a backend while they hold it. */
static void table_init_mutex(pp_table *t) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&t->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

static void table_init_used(void) {
  table_init_mutex(table_used);
}

pp_table *pp_table_get(void) {
  pthread_once(&table_pick_once, table_pick);
  /* The once flag lives in the table: whichever copy of this code comes first sets it up. */
  pthread_once(&table_used->once, table_init_used);
  return table_used;
}

int pp_table_shared(void) {
  return pp_table_get() != &table_own;
}

static pp_child **table_bucket(pp_table *t, int pid) {
  return &t->buckets[(unsigned)pid % PP_TABLE_BUCKETS];
}

void pp_table_lock(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, saved);
  pthread_mutex_lock(&pp_table_get()->mutex);
}

void pp_table_unlock(const sigset_t *saved) {
  pthread_mutex_unlock(&pp_table_get()->mutex);
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void pp_table_insert_locked(pp_child *child) {
  pp_table *t = pp_table_get();
  pp_child **head = table_bucket(t, child->pid);
  child->next = *head;
  *head = child;
  child->in_table = 1;
  t->count++;
}

void pp_table_remove_locked(pp_child *child) {
  pp_table *t = pp_table_get();
  if (!child->in_table) return;
  for (pp_child **p = table_bucket(t, child->pid); *p != NULL; p = &(*p)->next) {
    if (*p == child) {
      *p = child->next;
      break;
    }
  }
  child->next = NULL;
  child->in_table = 0;
  t->count--;
}

pp_child *pp_table_find_locked(int pid) {
  for (pp_child *c = *table_bucket(pp_table_get(), pid); c != NULL; c = c->next) {
    if (c->pid == pid) return c;
  }
  return NULL;
}

int pp_table_count_locked(void) {
  return pp_table_get()->count;
}

void pp_table_stash_locked(pp_child *child, const pp_status *st) {
  pp_table_remove_locked(child);
  child->stash = *st;
  child->stashed = 1;
}

int pp_table_take_stash(pp_child *child, pp_status *st) {
  sigset_t saved;
  int ret = -ENOENT;
  pp_table_lock(&saved);
  if (child->stashed) {
    *st = child->stash;
    child->stashed = 0;
    ret = 0;
  }
  pp_table_unlock(&saved);
  return ret;
}
