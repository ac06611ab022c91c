/*
 * spawn_sys.h - what posix_spawn can do on each C library, for the
 * fallback's spawn.
 *
 *   need                     glibc                  FreeBSD          macOS
 *   close every fd above     addclosefrom_np 2.34;  addclosefrom_np  POSIX_SPAWN_CLOEXEC_DEFAULT,
 *   the slots                before, one addclose   13.1             the slots kept by
 *                            per fd left open                        addinherit_np
 *   a working directory      addchdir_np 2.29       addchdir_np 13.1 addchdir_np
 *   a new session            POSIX_SPAWN_SETSID     ..._SETSID 15    POSIX_SPAWN_SETSID
 *
 *   musl has addchdir_np (1.1.24), no addclosefrom_np: one addclose per fd left open.
 */
#ifndef PP_FALLBACK_SPAWN_SYS_H
#define PP_FALLBACK_SPAWN_SYS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>

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

/* The child's working directory. */
static inline int pp_spawn_chdir(posix_spawn_file_actions_t *fa, const char *cwd) {
  return posix_spawn_file_actions_addchdir_np(fa, cwd);
}

#else

#if defined(__GLIBC__)
/*
 * glibc added addchdir_np in 2.29 and addclosefrom_np in 2.34. The
 * prebuilt addon is linked against glibc 2.28's symbols, so that it loads
 * wherever Node 20 does: both are weak references there, null on a C
 * library without them.
 */
#pragma weak posix_spawn_file_actions_addchdir_np
#pragma weak posix_spawn_file_actions_addclosefrom_np
#define PP_SPAWN_HAS(fn) ((fn) != NULL)
#define PP_SPAWN_HAS_CLOSEFROM 1
#elif defined(__linux__)
#define PP_SPAWN_HAS(fn) 1
#define PP_SPAWN_HAS_CLOSEFROM 0
#else
#define PP_SPAWN_HAS(fn) 1
#define PP_SPAWN_HAS_CLOSEFROM 1
#endif

/*
 * Closes in the child every fd from nfds up that is open now and not
 * close-on-exec, for a C library without addclosefrom_np. An fd another
 * thread opens meanwhile without O_CLOEXEC is not seen (Node and libuv
 * open theirs close-on-exec); closing one that is gone by then is not an
 * error.
 */
static inline int pp_spawn_close_each_above(posix_spawn_file_actions_t *fa, int nfds) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) return errno;
  int r = 0;
  for (struct dirent *e; r == 0 && (e = readdir(dir)) != NULL;) {
    int fd = atoi(e->d_name);
    int flags = fd >= nfds && fd != dirfd(dir) ? fcntl(fd, F_GETFD) : -1;
    if (e->d_name[0] != '.' && flags >= 0 && !(flags & FD_CLOEXEC)) {
      r = posix_spawn_file_actions_addclose(fa, fd);
    }
  }
  closedir(dir);
  return r;
}

static inline int pp_spawn_slot_closed(posix_spawn_file_actions_t *fa, int fd) {
  return posix_spawn_file_actions_addclose(fa, fd);
}

static inline int pp_spawn_slot_dup(posix_spawn_file_actions_t *fa, int src, int fd) {
  return posix_spawn_file_actions_adddup2(fa, src, fd);
}

static inline int pp_spawn_close_above(posix_spawn_file_actions_t *fa, int nfds, short *flags) {
  (void)flags;
#if PP_SPAWN_HAS_CLOSEFROM
  if (PP_SPAWN_HAS(posix_spawn_file_actions_addclosefrom_np)) {
    return posix_spawn_file_actions_addclosefrom_np(fa, nfds);
  }
#endif
  return pp_spawn_close_each_above(fa, nfds);
}

/* The child's working directory; ENOTSUP on a C library that cannot set it (glibc before 2.29). */
static inline int pp_spawn_chdir(posix_spawn_file_actions_t *fa, const char *cwd) {
  if (!PP_SPAWN_HAS(posix_spawn_file_actions_addchdir_np)) return ENOTSUP;
  return posix_spawn_file_actions_addchdir_np(fa, cwd);
}

#endif

#endif
