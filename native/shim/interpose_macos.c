/*
 * interpose_macos.c - the shim's wait family in place of libSystem's, for
 * every image of a process started with DYLD_INSERT_LIBRARIES (see shim.h).
 * dyld does not apply this section to the shim itself, so the shim's own
 * calls still reach libSystem.
 */
#include "shim.h"

/* One interposing tuple: dyld binds every other image's replacee to replacement. */
#define SHIM_INTERPOSE(name)                                                 \
  __attribute__((used)) static const struct {                                \
    const void *replacement;                                                 \
    const void *replacee;                                                    \
  } shim_interpose_##name __attribute__((section("__DATA,__interpose"))) = { \
      (const void *)(unsigned long)&pp_shim_##name, (const void *)(unsigned long)&name}

SHIM_INTERPOSE(waitpid);
SHIM_INTERPOSE(wait);
SHIM_INTERPOSE(wait3);
SHIM_INTERPOSE(wait4);
SHIM_INTERPOSE(waitid);
