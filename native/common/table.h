/*
 * table.h - the process-wide table of private children.
 *
 * Every unreaped private child is in the table under the pid that this
 * process's waits would report for it (pp_child.reap_pid). The host's
 * waits (host_wait.h) consult it so that they never hand a private status
 * to the host, and a backend reaps a child and takes it out of the table
 * under one hold of the lock, so that the table never counts a child the
 * kernel no longer has, nor the reverse. Spawning holds the lock from the
 * clone until the pid is in.
 *
 * There is one table per process, whichever copies of the package (two
 * versions in node_modules) and whichever preload shim are loaded: the
 * shim's when it is loaded, else the first copy's (table.c). The lock is
 * only ever taken with every signal blocked and nothing under it
 * allocates: a signal handler that waits can never deadlock against the
 * thread it interrupted. Taking it never enters the dynamic loader, and
 * a fork child finds it free and the table empty (table.c says how).
 */
#ifndef PP_TABLE_H
#define PP_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "backend.h"
#include "compat.h"

#define PP_TABLE_BUCKETS 256

/* The symbol under which every copy of the package and the shim export their table. */
#define PP_TABLE_SYMBOL "private_process_table"

/* A symbol only the preload shim exports. */
#define PP_SHIM_SYMBOL "private_process_shim"

/*
 * PP_TABLE_ABI is the version of everything that copies of the package
 * share through the table: pp_table, pp_child and pp_backend. Copies that
 * differ refuse to spawn (pp_table_conflict) rather than misread it.
 */
#ifndef PP_TABLE_ABI
#define PP_TABLE_ABI 3
#endif

/*
 * pp_table is the table's state. Its lock is the table's own (table.c), not
 * a pthread mutex: a fork child must find it free, which a copied mutex
 * held by a thread of the parent never is.
 */
typedef struct pp_table {
  /* The process whose children the table lists: its pid, 0 before the first lock (table.c). */
  atomic_int pid;
  /* The lock word: 0 free, 1 held, 2 held with waiters. */
  atomic_int word;
  /* The thread that holds it (pthread_self), 0 when none; and how many times it does. */
  atomic_uintptr_t owner;
  int depth;
  pp_child *buckets[PP_TABLE_BUCKETS];
  int count;
} pp_table;

/*
 * pp_table_ref is what PP_TABLE_SYMBOL names: its layout never changes, so
 * that any copy can read the ABI of any other.
 */
typedef struct pp_table_ref {
  int abi;
  pp_table *table;
} pp_table_ref;

/*
 * pp_table_get picks the process's table and returns it. A copy of the
 * addon calls it once when it is loaded, before any of its waits: picking
 * may enter the dynamic loader (dlsym, dlopen), which a wait never does.
 * In the shim it only returns the shim's own table.
 */
pp_table *pp_table_get(void);

/*
 * pp_table_conflict returns the ABI of the table another copy of the
 * package set up in this process when it is not PP_TABLE_ABI (this copy
 * then keeps a table of its own and must not spawn), else 0.
 */
int pp_table_conflict(void);

/* pp_shim_loaded is 1 when the preload shim is loaded in this process. */
int pp_shim_loaded(void);

/* pp_table_lock blocks every signal, saving the mask in *saved, then locks. */
void pp_table_lock(pp_sigmask *saved);

/* pp_table_unlock unlocks, then restores the signal mask saved by the lock. */
void pp_table_unlock(const pp_sigmask *saved);

/*
 * pp_table_insert_locked adds an unreaped child under its reap_pid. An
 * entry already there under that pid is stale (its child was reaped by a
 * wait that bypassed the table, and the kernel gave the pid to this one):
 * it is taken out, so that its handle finds its status lost.
 */
void pp_table_insert_locked(pp_child *child);

/* pp_table_remove_locked takes a child out of the table, if it is there. */
void pp_table_remove_locked(pp_child *child);

/* pp_table_find_locked returns the unreaped private child this process reaps as pid. */
pp_child *pp_table_find_locked(int pid);

/* pp_table_count_locked returns how many private children are unreaped. */
int pp_table_count_locked(void);

/*
 * pp_table_stash_locked records the status that a wait of ours reaped
 * for a private child, for its handle, and takes the child out of the table.
 */
void pp_table_stash_locked(pp_child *child, const pp_status *st);

/*
 * pp_table_take_stash moves a status stashed for child into *st; returns 0,
 * or -ENOENT when none was stashed.
 */
int pp_table_take_stash(pp_child *child, pp_status *st);

#endif
