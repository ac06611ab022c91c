/*
 * table.c - the process-wide table of private children: a fixed array of
 * buckets chaining the callers' own pp_child structures, so that nothing is
 * allocated under the lock.
 *
 * Finding the one table. Each copy of this file (in each copy of the addon,
 * and in the preload shim) exports a pp_table_ref under PP_TABLE_SYMBOL.
 * The preload shim is loaded first, so its symbol is the first one in the
 * process's global scope, and the shim uses its own table without looking:
 * its waits may run before its constructors have, in a thread that another
 * preloaded library started, and a lookup there (dlsym, dlopen) would enter
 * the dynamic loader from inside the loader's own start-up, run the shim's
 * constructor inside the wait, and deadlock the process. An addon is loaded
 * privately (RTLD_LOCAL), so when it is loaded (pp_table_get, from its
 * init) it makes itself global (dlopen with RTLD_NOLOAD | RTLD_GLOBAL) and
 * then looks the symbol up: every copy finds the same, first, definition,
 * whichever order they come in. Its waits only read what it picked.
 *
 * The lock, and fork. The lock is held across whole spawns (from the clone
 * until the child has exec'd, and in hidden mode while the intermediate
 * starts), so a fork in another thread often copies it held, by a thread
 * the fork child does not have; and the child's table lists its parent's
 * children, not its own, whose pids its own children may get once the
 * parent has reaped them. So the table records the pid of the process
 * whose children it lists, and every lock compares it with getpid() first:
 * in a fork child, the first lock (whichever copy of this code takes it,
 * whichever thread, even in a signal handler) frees the lock and empties
 * the table, once, before it locks. That holds however the child was
 * made: fork, _Fork, a raw system call. A pthread_atfork child handler
 * only marks the table stale (idempotent: every copy may register one), for
 * a child whose pid is its parent's own (the first process of a new pid
 * namespace, forked by the first of another). There are no prepare and
 * parent handlers taking the lock around every fork: libuv forks for every
 * child_process.spawn, and would then wait for any private spawn under way.
 * A task that shares this process's memory with a pid of its own (vfork,
 * posix_spawn's clone, the backends' children) must never take the lock:
 * it would empty its parent's table. None does; they only exec or exit.
 *
 * The lock is recursive (the host's waits reap through a backend while
 * they hold it) and made of a futex word, so that it can be freed by a
 * plain store, and taken in a signal handler.
 */
#define _GNU_SOURCE
#include "table.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#elif defined(__FreeBSD__)
#include <sys/types.h>
#include <sys/umtx.h>
#elif defined(__APPLE__)
/* The wait-on-address calls libSystem exports (its own locks, libc++'s atomics use them). */
int __ulock_wait(uint32_t operation, void *addr, uint64_t value, uint32_t timeout_us);
int __ulock_wake(uint32_t operation, void *addr, uint64_t wake_value);
#define TABLE_UL_COMPARE_AND_WAIT 1
#define TABLE_ULF_NO_ERRNO 0x01000000
#endif

/* pp_table.pid of a table a pthread_atfork child handler found: stale, whatever getpid() says. */
#define TABLE_STALE INT_MIN

/*
 * 1 in the preload shim, whose shim.c defines it so, else this weak
 * definition: the shim owns the process's table and never looks for
 * another. volatile: the compiler must not take this 0 for the value.
 */
__attribute__((weak, visibility("hidden"))) const volatile int pp_table_owner = 0;

static pp_table table_own;

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

/* The table this copy uses: its own until pp_table_get picks another copy's. */
static _Atomic(pp_table *) table_used = &table_own;
static int table_conflict;
static pthread_once_t table_pick_once = PTHREAD_ONCE_INIT;
static atomic_int table_atfork_registered;

/* What the lock and the waits use: never a lookup. */
static pp_table *table_current(void) {
  return atomic_load_explicit(&table_used, memory_order_acquire);
}

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
    atomic_store_explicit(&table_used, ref->table, memory_order_release);
  else
    table_conflict = ref->abi;
}

/* The pthread_atfork child handler: the first lock in the child then empties the table. */
static void table_forked(void) {
  atomic_store_explicit(&table_current()->pid, TABLE_STALE, memory_order_relaxed);
}

pp_table *pp_table_get(void) {
  if (!pp_table_owner) pthread_once(&table_pick_once, table_pick);
  if (atomic_exchange(&table_atfork_registered, 1) == 0) pthread_atfork(NULL, NULL, table_forked);
  return table_current();
}

int pp_table_conflict(void) {
  pp_table_get();
  return table_conflict;
}

int pp_shim_loaded(void) {
  return dlsym(RTLD_DEFAULT, PP_SHIM_SYMBOL) != NULL;
}

/* Sleeps while *word is val (or returns at once); a spurious return is fine. */
static void table_futex_wait(atomic_int *word, int val) {
  int saved = errno;
#if defined(__linux__)
  syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
#elif defined(__FreeBSD__)
  _umtx_op(word, UMTX_OP_WAIT_UINT_PRIVATE, (u_long)(unsigned)val, NULL, NULL);
#elif defined(__APPLE__)
  __ulock_wait(TABLE_UL_COMPARE_AND_WAIT | TABLE_ULF_NO_ERRNO, word, (uint64_t)(unsigned)val, 0);
#else
  (void)word;
  (void)val;
  sched_yield();
#endif
  errno = saved;
}

/* Wakes one thread sleeping on *word. */
static void table_futex_wake(atomic_int *word) {
  int saved = errno;
#if defined(__linux__)
  syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#elif defined(__FreeBSD__)
  _umtx_op(word, UMTX_OP_WAKE_PRIVATE, 1, NULL, NULL);
#elif defined(__APPLE__)
  __ulock_wake(TABLE_UL_COMPARE_AND_WAIT | TABLE_ULF_NO_ERRNO, word, 0);
#else
  (void)word;
#endif
  errno = saved;
}

/*
 * Makes the table this process's: in a fork child (a pid that is not the
 * one recorded, or a table marked stale) frees the lock and empties the
 * table, once, while the other threads wait. While it empties it, pid is
 * the emptying process's pid negated.
 */
static void table_adopt(pp_table *t) {
  int me = (int)getpid();
  for (;;) {
    int p = atomic_load_explicit(&t->pid, memory_order_acquire);
    if (p == me) return;
    if (p == -me) {
      sched_yield();
      continue;
    }
    if (!atomic_compare_exchange_weak_explicit(&t->pid, &p, -me, memory_order_acquire,
                                               memory_order_relaxed))
      continue;
    /* The parent's lock, held or not, and the parent's children. */
    atomic_store_explicit(&t->word, 0, memory_order_relaxed);
    atomic_store_explicit(&t->owner, 0, memory_order_relaxed);
    t->depth = 0;
    memset(t->buckets, 0, sizeof(t->buckets));
    t->count = 0;
    atomic_store_explicit(&t->pid, me, memory_order_release);
    return;
  }
}

/* Takes the lock, or again: Drepper's futex mutex ("Futexes Are Tricky"), made recursive. */
static void table_acquire(pp_table *t) {
  uintptr_t self = (uintptr_t)pthread_self();
  /* Only this thread ever stores its own id here: reading it back means it holds the lock. */
  if (atomic_load_explicit(&t->owner, memory_order_relaxed) == self) {
    t->depth++;
    return;
  }
  int c = 0;
  if (!atomic_compare_exchange_strong_explicit(&t->word, &c, 1, memory_order_acquire,
                                               memory_order_relaxed)) {
    if (c != 2) c = atomic_exchange_explicit(&t->word, 2, memory_order_acquire);
    while (c != 0) {
      table_futex_wait(&t->word, 2);
      c = atomic_exchange_explicit(&t->word, 2, memory_order_acquire);
    }
  }
  atomic_store_explicit(&t->owner, self, memory_order_relaxed);
  t->depth = 1;
}

static void table_release(pp_table *t) {
  if (--t->depth > 0) return;
  atomic_store_explicit(&t->owner, 0, memory_order_relaxed);
  if (atomic_exchange_explicit(&t->word, 0, memory_order_release) == 2) table_futex_wake(&t->word);
}

static pp_child **table_bucket(pp_table *t, int pid) {
  return &t->buckets[(unsigned)pid % PP_TABLE_BUCKETS];
}

void pp_table_lock(pp_sigmask *saved) {
  pp_signals_block_all(saved);
  pp_table *t = table_current();
  table_adopt(t);
  table_acquire(t);
}

void pp_table_unlock(const pp_sigmask *saved) {
  table_release(table_current());
  pp_signals_restore(saved);
}

void pp_table_insert_locked(pp_child *child) {
  pp_table *t = table_current();
  pp_child *stale = pp_table_find_locked(child->reap_pid);
  if (stale != NULL) pp_table_remove_locked(stale);
  pp_child **head = table_bucket(t, child->reap_pid);
  child->next = *head;
  *head = child;
  child->in_table = 1;
  t->count++;
}

/* A child may say it is in a table a fork child emptied: it is uncounted only if found. */
void pp_table_remove_locked(pp_child *child) {
  pp_table *t = table_current();
  if (!child->in_table) return;
  for (pp_child **p = table_bucket(t, child->reap_pid); *p != NULL; p = &(*p)->next) {
    if (*p == child) {
      *p = child->next;
      t->count--;
      break;
    }
  }
  child->next = NULL;
  child->in_table = 0;
}

pp_child *pp_table_find_locked(int pid) {
  for (pp_child *c = *table_bucket(table_current(), pid); c != NULL; c = c->next) {
    if (c->reap_pid == pid) return c;
  }
  return NULL;
}

int pp_table_count_locked(void) {
  return table_current()->count;
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
