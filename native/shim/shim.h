/*
 * shim.h - how the preload shim's wait family takes the C library's place.
 *
 * On Linux (and other ELF systems) LD_PRELOAD puts the shim first in the
 * symbol lookup order: it defines wait, waitpid, wait3, wait4 and waitid
 * under those names. On macOS, where each image binds its symbols to the
 * library that exports them, DYLD_INSERT_LIBRARIES interposes only what the
 * shim's __DATA,__interpose section names (interpose_macos.c): the shim's
 * functions carry their own names there, which the section binds to
 * libSystem's.
 */
#ifndef PP_SHIM_H
#define PP_SHIM_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#if defined(__APPLE__)
#define PP_SHIM_FN(name) pp_shim_##name
#define PP_SHIM_EXPORT
#else
#define PP_SHIM_FN(name) name
#define PP_SHIM_EXPORT __attribute__((visibility("default")))
#endif

PP_SHIM_EXPORT pid_t PP_SHIM_FN(waitpid)(pid_t pid, int *status, int options);
PP_SHIM_EXPORT pid_t PP_SHIM_FN(wait)(int *status);
PP_SHIM_EXPORT pid_t PP_SHIM_FN(wait3)(int *status, int options, struct rusage *ru);
PP_SHIM_EXPORT pid_t PP_SHIM_FN(wait4)(pid_t pid, int *status, int options, struct rusage *ru);
PP_SHIM_EXPORT int PP_SHIM_FN(waitid)(idtype_t type, id_t id, siginfo_t *info, int options);

#endif
