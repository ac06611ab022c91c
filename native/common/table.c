/*
 * table.c - the process-wide table of private children: a fixed array of
 * buckets chaining the callers' own pp_child structures, so that nothing is
 * allocated under the lock.
 */
#include "table.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#define PP_TABLE_BUCKETS 256

/* Recursive: the host's waitpid reaps through a backend while it holds it. */
static pthread_mutex_t table_mutex;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static pp_child *table_buckets[PP_TABLE_BUCKETS];
static int table_count;

static pp_child **table_bucket(int pid) {
  return &table_buckets[(unsigned)pid % PP_TABLE_BUCKETS];
}

static void table_init(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&table_mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

void pp_table_lock(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, saved);
  pthread_once(&table_once, table_init);
  pthread_mutex_lock(&table_mutex);
}

void pp_table_unlock(const sigset_t *saved) {
  pthread_mutex_unlock(&table_mutex);
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void pp_table_insert_locked(pp_child *child) {
  pp_child **head = table_bucket(child->pid);
  child->next = *head;
  *head = child;
  child->in_table = 1;
  table_count++;
}

void pp_table_remove_locked(pp_child *child) {
  if (!child->in_table) return;
  for (pp_child **p = table_bucket(child->pid); *p != NULL; p = &(*p)->next) {
    if (*p == child) {
      *p = child->next;
      break;
    }
  }
  child->next = NULL;
  child->in_table = 0;
  table_count--;
}

pp_child *pp_table_find_locked(int pid) {
  for (pp_child *c = *table_bucket(pid); c != NULL; c = c->next) {
    if (c->pid == pid) return c;
  }
  return NULL;
}

int pp_table_count_locked(void) {
  return table_count;
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
