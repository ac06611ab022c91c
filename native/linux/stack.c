/*
 * stack.c - the pool of spawn regions: the stacks a child and an
 * intermediate run on, with a guard page below each, and the state a
 * hidden spawn shares with its intermediate.
 *
 * A region is taken for each spawn and given back when no task runs on it
 * any more: at once for a direct spawn (the child has exec'd when clone
 * returns), once the intermediate has been reaped for a hidden one. Up to
 * POOL_KEEP regions are kept for the next spawns; a thread that ends keeps
 * nothing, so workers that come and go leave no mapping behind.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <pthread.h>
#include <sys/mman.h>

#define POOL_KEEP 64
#define PAGE 4096
#define ROUND_UP(n) (((n) + PAGE - 1) / PAGE * PAGE)

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pp_linux_region *pool_free;
static int pool_kept;

/* Low to high: guard, child stack, guard, intermediate stack, the region structure. */
static pp_linux_region *region_map(void) {
  size_t top = ROUND_UP(sizeof(pp_linux_region));
  size_t size = PAGE + PP_LINUX_CHILD_STACK + PAGE + PP_LINUX_INTERMEDIATE_STACK + top;
  char *map =
      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) return NULL;
  char *second_guard = map + PAGE + PP_LINUX_CHILD_STACK;
  if (mprotect(map, PAGE, PROT_NONE) != 0 || mprotect(second_guard, PAGE, PROT_NONE) != 0) {
    munmap(map, size);
    return NULL;
  }
  pp_linux_region *r = (pp_linux_region *)(map + size - top);
  r->map = map;
  r->map_size = size;
  r->child_stack = map + PAGE;
  r->intermediate_stack = second_guard + PAGE;
  return r;
}

pp_linux_region *pp_linux_region_get(void) {
  pthread_mutex_lock(&pool_mutex);
  pp_linux_region *r = pool_free;
  if (r != NULL) {
    pool_free = r->next;
    pool_kept--;
  }
  pthread_mutex_unlock(&pool_mutex);
  if (r == NULL) r = region_map();
  if (r != NULL) r->next = NULL;
  return r;
}

void pp_linux_region_put(pp_linux_region *region) {
  pthread_mutex_lock(&pool_mutex);
  int keep = pool_kept < POOL_KEEP;
  if (keep) {
    region->next = pool_free;
    pool_free = region;
    pool_kept++;
  }
  pthread_mutex_unlock(&pool_mutex);
  if (!keep) munmap(region->map, region->map_size);
}
