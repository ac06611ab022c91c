/*
 * table.h - the process-wide table of private children.
 *
 * Every unreaped private child is in the table under its pid. The package's
 * waitpid() consults it so that it never hands a private status to the host,
 * and spawning holds the lock from the clone until the pid is in, so that no
 * waitpid() of ours can see a private child the table does not know yet.
 *
 * The lock is only ever taken with every signal blocked and nothing under it
 * allocates: a signal handler that waits can never deadlock against the
 * thread it interrupted.
 */
#ifndef PP_TABLE_H
#define PP_TABLE_H

#include <pthread.h>
#include <signal.h>

#include "backend.h"

#define PP_TABLE_BUCKETS 256

/* The symbol under which the preload shim exports its table. */
#define PP_SHIM_TABLE_SYMBOL "pp_shim_table"

/* The layout version of pp_table; a shim of another layout is not used. */
#define PP_TABLE_VERSION 1

/*
 * pp_table is the table's state: one per process. Its layout is shared by
 * the addon and the shim, which are built from the same sources; version
 * is checked before the addon uses a shim's table.
 */
typedef struct pp_table {
  int version;
  pthread_mutex_t mutex;
  pthread_once_t once;
  pp_child *buckets[PP_TABLE_BUCKETS];
  int count;
} pp_table;

/* pp_table_get returns the process's table: the shim's when it is loaded. */
pp_table *pp_table_get(void);

/* pp_table_shared is 1 when the table is the preload shim's. */
int pp_table_shared(void);

/* pp_table_lock blocks every signal, saving the mask in *saved, then locks. */
void pp_table_lock(sigset_t *saved);

/* pp_table_unlock unlocks, then restores the signal mask saved by the lock. */
void pp_table_unlock(const sigset_t *saved);

/* pp_table_insert_locked adds an unreaped child under its pid. */
void pp_table_insert_locked(pp_child *child);

/* pp_table_remove_locked takes a child out of the table, if it is there. */
void pp_table_remove_locked(pp_child *child);

/* pp_table_find_locked returns the unreaped private child with this pid. */
pp_child *pp_table_find_locked(int pid);

/* pp_table_count_locked returns how many private children are unreaped. */
int pp_table_count_locked(void);

/*
 * pp_table_stash_locked records the status that a waitpid() of ours reaped
 * for a private child, for its handle, and takes the child out of the table.
 */
void pp_table_stash_locked(pp_child *child, const pp_status *st);

/*
 * pp_table_take_stash moves a status stashed for child into *st; returns 0,
 * or -ENOENT when none was stashed.
 */
int pp_table_take_stash(pp_child *child, pp_status *st);

#endif
