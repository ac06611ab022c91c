/*
 * spawn_sys.h - what posix_spawn can do on each C library, for the
 * fallback's spawn.
 *
 *   need                              glibc 2.34+, FreeBSD 13.1+    macOS
 *   close every fd above the slots    addclosefrom_np                POSIX_SPAWN_CLOEXEC_DEFAULT,
 *                                                                    the slots kept by
 * addinherit_np a new session                     POSIX_SPAWN_SETSID (glibc,     POSIX_SPAWN_SETSID
 *                                     FreeBSD 15)
 */
#ifndef PP_FALLBACK_SPAWN_SYS_H
#define PP_FALLBACK_SPAWN_SYS_H

#include <errno.h>
#include <spawn.h>

#if defined(POSIX_SPAWN_SETSID)
#define PP_SPAWN_SETSID_FLAG POSIX_SPAWN_SETSID
#else
#define PP_SPAWN_SETSID_FLAG 0
#endif

#if defined(__APPLE__)

/* A slot left closed: POSIX_SPAWN_CLOEXEC_DEFAULT closes whatever is not kept. */
static inline int pp_spawn_slot_closed(posix_spawn_file_actions_t *fa, int fd) {
  (void)fa;
  (void)fd;
  return 0;
}

/* src on fd, kept across the exec. */
static inline int pp_spawn_slot_dup(posix_spawn_file_actions_t *fa, int src, int fd) {
  int r = src == fd ? 0 : posix_spawn_file_actions_adddup2(fa, src, fd);
  return r != 0 ? r : posix_spawn_file_actions_addinherit_np(fa, fd);
}

/* Every fd not kept is closed: returns the spawn flag that does it. */
static inline int pp_spawn_close_above(posix_spawn_file_actions_t *fa, int nfds, short *flags) {
  (void)fa;
  (void)nfds;
  *flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
  return 0;
}

#else

static inline int pp_spawn_slot_closed(posix_spawn_file_actions_t *fa, int fd) {
  return posix_spawn_file_actions_addclose(fa, fd);
}

static inline int pp_spawn_slot_dup(posix_spawn_file_actions_t *fa, int src, int fd) {
  return posix_spawn_file_actions_adddup2(fa, src, fd);
}

static inline int pp_spawn_close_above(posix_spawn_file_actions_t *fa, int nfds, short *flags) {
  (void)flags;
  return posix_spawn_file_actions_addclosefrom_np(fa, nfds);
}

#endif

#endif
