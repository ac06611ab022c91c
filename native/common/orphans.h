/*
 * orphans.h - reaping the children of an event loop that went away.
 *
 * When a worker thread ends while its private children still run, nothing
 * is left to watch them: they move to one process-wide thread that polls
 * their descriptors (and tries every one every 100 ms) and reaps them, so
 * that no child and no intermediate of a hidden child stays a zombie. The
 * thread is started the first time it is needed and blocks every signal.
 */
#ifndef PP_ORPHANS_H
#define PP_ORPHANS_H

#include "backend.h"

/*
 * pp_orphans_adopt takes over an unreaped child; *child is copied and must no longer be used by the
 * caller. Returns 0, or -errno when it could not (the child is then left as it is).
 */
int pp_orphans_adopt(pp_child *child);

#endif
