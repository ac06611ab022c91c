/*
 * stack.c - the memory spawns run on: spawn stacks and hidden regions,
 * carved out of a few large mappings (slabs), a guard page below each.
 *
 * Kernel version each feature needs:
 *
 *   feature                         kernel   used for
 *   MADV_GUARD_INSTALL              6.13     guard pages that do not split a slab's mapping
 *   mprotect(PROT_NONE)             any      the guard pages elsewhere: each splits the mapping
 *
 * A spawn stack is what a child runs on between clone and exec: it is
 * taken for a spawn and given back as soon as the child has exec'd or is
 * gone. A hidden region (the intermediate's stack, the state it shares
 * with this process at the top) lives with a hidden child until its
 * intermediate has been reaped. So this process holds one region per live
 * hidden child and about one spawn stack per spawning thread.
 *
 * Every task that exits while it shares this address space (each
 * intermediate) makes the kernel walk all its mappings (acct_collect), and
 * a process may hold vm.max_map_count of them: one mapping per spawn
 * would make reaping cost grow with the children alive, and cap their
 * number. Slots are therefore cut from slabs, and a guard page installed
 * with MADV_GUARD_INSTALL leaves the slab one mapping. Where the kernel
 * refuses it (before 6.13, or a locked mapping), the guard is a PROT_NONE
 * page, which splits the slab: two mappings per slot then.
 *
 * A slab whose slots are all free is unmapped, but for one per pool kept
 * for the next spawns.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096

/* One slab: slots of its pool, side by side in one mapping. */
typedef struct linux_slab {
  struct linux_slab *prev, *next; /* the pool's slabs with a free slot */
  char *map;
  size_t size;
  int used;
  pp_linux_slot *free;
} linux_slab;

/* A pool of slots of one size: the guard page, then the stack, then `top` bytes. */
typedef struct linux_pool {
  size_t slot_size;
  size_t top;
  int per_slab;
  pthread_mutex_t mutex;
  linux_slab *open;
  int empty; /* slabs with no slot used */
} linux_pool;

static linux_pool stack_pool = {
    .slot_size = PAGE + PP_LINUX_CHILD_STACK,
    .top = sizeof(pp_linux_slot),
    .per_slab = 8,
    .mutex = PTHREAD_MUTEX_INITIALIZER,
};
static linux_pool region_pool = {
    .slot_size = PAGE + PP_LINUX_INTERMEDIATE_STACK,
    .top = sizeof(pp_linux_region),
    .per_slab = 64,
    .mutex = PTHREAD_MUTEX_INITIALIZER,
};

/* 0 until MADV_GUARD_INSTALL has been refused once; PROT_NONE pages from then on. */
static int guard_refused;

/* Makes the page at `page` a guard page; 0, or -1 when neither way works. */
static int linux_guard(char *page) {
  if (!__atomic_load_n(&guard_refused, __ATOMIC_RELAXED)) {
    if (madvise(page, PAGE, PP_MADV_GUARD_INSTALL) == 0) return 0;
    __atomic_store_n(&guard_refused, 1, __ATOMIC_RELAXED);
  }
  return mprotect(page, PAGE, PROT_NONE);
}

/* The slot header at the top of the slot that starts at base, 64-byte aligned. */
static pp_linux_slot *linux_slot_at(const linux_pool *pool, char *base) {
  uintptr_t top = (uintptr_t)(base + pool->slot_size - pool->top);
  return (pp_linux_slot *)(top & ~(uintptr_t)63);
}

/* Maps a slab of the pool, its guard pages installed and its slots on its free list. */
static linux_slab *linux_slab_map(linux_pool *pool) {
  linux_slab *s = calloc(1, sizeof(*s));
  if (s == NULL) return NULL;
  s->size = pool->slot_size * (size_t)pool->per_slab;
  s->map =
      mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (s->map == MAP_FAILED) {
    free(s);
    return NULL;
  }
  for (int i = pool->per_slab - 1; i >= 0; i--) {
    char *base = s->map + (size_t)i * pool->slot_size;
    pp_linux_slot *slot = linux_slot_at(pool, base);
    if (linux_guard(base) != 0) {
      munmap(s->map, s->size);
      free(s);
      return NULL;
    }
    slot->base = base;
    slot->stack_size = (size_t)((char *)slot - base - PAGE);
    slot->slab = s;
    slot->next = s->free;
    s->free = slot;
  }
  return s;
}

static void linux_open_push(linux_pool *pool, linux_slab *s) {
  s->prev = NULL;
  s->next = pool->open;
  if (pool->open != NULL) pool->open->prev = s;
  pool->open = s;
}

static void linux_open_remove(linux_pool *pool, linux_slab *s) {
  if (s->prev != NULL) s->prev->next = s->next;
  if (s->next != NULL) s->next->prev = s->prev;
  if (pool->open == s) pool->open = s->next;
  s->prev = s->next = NULL;
}

/* Takes a free slot of the pool, mapping a slab when none is left; NULL when out of memory. */
static pp_linux_slot *linux_slot_get(linux_pool *pool) {
  pthread_mutex_lock(&pool->mutex);
  if (pool->open == NULL) {
    pthread_mutex_unlock(&pool->mutex);
    linux_slab *fresh = linux_slab_map(pool);
    if (fresh == NULL) return NULL;
    pthread_mutex_lock(&pool->mutex);
    linux_open_push(pool, fresh);
    pool->empty++;
  }
  linux_slab *s = pool->open;
  pp_linux_slot *slot = s->free;
  s->free = slot->next;
  slot->next = NULL;
  if (s->used++ == 0) pool->empty--;
  if (s->free == NULL) linux_open_remove(pool, s);
  pthread_mutex_unlock(&pool->mutex);
  return slot;
}

/* Gives a slot back; a slab left empty is unmapped when the pool keeps another empty one. */
static void linux_slot_put(linux_pool *pool, pp_linux_slot *slot) {
  linux_slab *s = slot->slab, *drop = NULL;
  pthread_mutex_lock(&pool->mutex);
  if (s->free == NULL) linux_open_push(pool, s);
  slot->next = s->free;
  s->free = slot;
  if (--s->used == 0) {
    if (pool->empty > 0) {
      linux_open_remove(pool, s);
      drop = s;
    } else {
      pool->empty++;
    }
  }
  pthread_mutex_unlock(&pool->mutex);
  if (drop != NULL) {
    munmap(drop->map, drop->size);
    free(drop);
  }
}

/* pp_linux_region_get takes a region and a spawn stack for one spawn; NULL when out of memory. */
pp_linux_region *pp_linux_region_get(void) {
  pp_linux_slot *slot = linux_slot_get(&region_pool);
  if (slot == NULL) return NULL;
  pp_linux_slot *stack = linux_slot_get(&stack_pool);
  if (stack == NULL) {
    linux_slot_put(&region_pool, slot);
    return NULL;
  }
  pp_linux_region *r = (pp_linux_region *)slot;
  r->intermediate_stack = slot->base + PAGE;
  r->intermediate_size = slot->stack_size;
  r->spawn_stack = stack;
  r->child_stack = stack->base + PAGE;
  r->child_size = stack->stack_size;
  return r;
}

/* pp_linux_region_spawned gives the spawn stack back: the child has exec'd or is gone. */
void pp_linux_region_spawned(pp_linux_region *region) {
  if (region->spawn_stack == NULL) return;
  linux_slot_put(&stack_pool, region->spawn_stack);
  region->spawn_stack = NULL;
  region->child_stack = NULL;
  region->child_size = 0;
}

/* pp_linux_region_put gives the region back, once no task runs on it. */
void pp_linux_region_put(pp_linux_region *region) {
  pp_linux_region_spawned(region);
  linux_slot_put(&region_pool, &region->slot);
}

/* pp_linux_guard_install is 1 until MADV_GUARD_INSTALL has been refused. */
int pp_linux_guard_install(void) {
  return !__atomic_load_n(&guard_refused, __ATOMIC_RELAXED);
}
