/*
 * backend.c - the FreeBSD backend, its real sources, built on Linux against
 * the emulation of process descriptors and kqueue (emulation.c, and the
 * headers in include/). Only raw.c, the two signal calls the child makes to
 * the FreeBSD kernel directly, is replaced, by emulation.c.
 */
#define _GNU_SOURCE
#include "emulation.h"

#include "../../../native/freebsd/backend.c"
#include "../../../native/freebsd/child.c"
#include "../../../native/freebsd/privs.c"
#include "../../../native/freebsd/spawn.c"
#include "../../../native/freebsd/wait.c"
