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

#include <signal.h>

#include "backend.h"

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
