/*
 * table.c - the process-wide table of private children: a fixed array of
 * buckets chaining the callers' own pp_child structures, so that nothing is
 * allocated under the lock.
 *
 * Finding the one table. Each copy of this file (in each copy of the addon,
 * and in the preload shim) exports a pp_table_ref under PP_TABLE_SYMBOL.
 * The preload shim is loaded first, so its symbol is the first one in the
 * process's global scope. An addon is loaded privately (RTLD_LOCAL), so at
 * its first use it makes itself global (dlopen with RTLD_NOLOAD |
 * RTLD_GLOBAL) and then looks the symbol up: every copy finds the same,
 * first, definition, whichever order they come in.
 */
#define _GNU_SOURCE
#include "table.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

static pp_table table_own = {.once = PTHREAD_ONCE_INIT};

/*
 * This copy's table, for the others to find: exported under PP_TABLE_SYMBOL
 * as an alias, since a reference to an exported name may bind to another
 * object's definition of it (the shim's, loaded first).
 */
#if defined(__APPLE__)
/* Mach-O has no aliases, and binds an image's references to its own definitions: export it as is.
 */
__attribute__((visibility("default")))
const pp_table_ref private_process_table = {PP_TABLE_ABI, &table_own};
#define table_own_ref private_process_table
#else
static const pp_table_ref table_own_ref = {PP_TABLE_ABI, &table_own};
extern const pp_table_ref private_process_table
    __attribute__((alias("table_own_ref"), visibility("default")));
#endif

static pp_table *table_used = &table_own;
static int table_conflict;
static pthread_once_t table_pick_once = PTHREAD_ONCE_INIT;

/* The first table in the global scope, or NULL when it is this copy's own. */
static const pp_table_ref *table_lookup(void) {
  const pp_table_ref *ref = dlsym(RTLD_DEFAULT, PP_TABLE_SYMBOL);
  return ref == &table_own_ref ? NULL : ref;
}

static void table_pick(void) {
  const pp_table_ref *ref = table_lookup();
  if (ref == NULL) {
    Dl_info self;
    if (dladdr(&table_own_ref, &self) != 0 && self.dli_fname != NULL) {
      /* The handle is kept for good: the table must outlive every user. */
      if (dlopen(self.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_GLOBAL) != NULL)
        ref = table_lookup();
    }
  }
  if (ref == NULL) return;
  if (ref->abi == PP_TABLE_ABI)
    table_used = ref->table;
  else
    table_conflict = ref->abi;
}

/* Recursive: the host's waits reap through a backend while they hold it. */
static void table_init_mutex(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&table_used->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

pp_table *pp_table_get(void) {
  pthread_once(&table_pick_once, table_pick);
  /* The once flag lives in the table: whichever copy of this code comes first sets it up. */
  pthread_once(&table_used->once, table_init_mutex);
  return table_used;
}

int pp_table_conflict(void) {
  pp_table_get();
  return table_conflict;
}

int pp_shim_loaded(void) {
  return dlsym(RTLD_DEFAULT, PP_SHIM_SYMBOL) != NULL;
}

static pp_child **table_bucket(pp_table *t, int pid) {
  return &t->buckets[(unsigned)pid % PP_TABLE_BUCKETS];
}

void pp_table_lock(pp_sigmask *saved) {
  pp_signals_block_all(saved);
  pthread_mutex_lock(&pp_table_get()->mutex);
}

void pp_table_unlock(const pp_sigmask *saved) {
  pthread_mutex_unlock(&pp_table_get()->mutex);
  pp_signals_restore(saved);
}

void pp_table_insert_locked(pp_child *child) {
  pp_table *t = pp_table_get();
  pp_child *stale = pp_table_find_locked(child->reap_pid);
  if (stale != NULL) pp_table_remove_locked(stale);
  pp_child **head = table_bucket(t, child->reap_pid);
  child->next = *head;
  *head = child;
  child->in_table = 1;
  t->count++;
}

void pp_table_remove_locked(pp_child *child) {
  pp_table *t = pp_table_get();
  if (!child->in_table) return;
  for (pp_child **p = table_bucket(t, child->reap_pid); *p != NULL; p = &(*p)->next) {
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
    if (c->reap_pid == pid) return c;
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
  pp_sigmask saved;
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
