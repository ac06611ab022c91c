/*
 * host_sys.h - the system calls the waits and the stdio slots need, with
 * one implementation per kernel (native/<os>/host_sys.c) and the few
 * constants that differ between them.
 *
 * The waits here are the kernel's, never the C library's names: with the
 * preload shim loaded those lead to the shim (LD_PRELOAD symbol preemption,
 * DYLD_INSERT_LIBRARIES interposing), and the package's own waits must not
 * go through it. None of them changes errno.
 */
#ifndef PP_HOST_SYS_H
#define PP_HOST_SYS_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

/* The wait(2) status word of a continued child: each kernel has its own. */
#if defined(__linux__)
#define PP_WSTATUS_CONTINUED 0xffff
#elif defined(__APPLE__)
#define PP_WSTATUS_CONTINUED 0x137f
#else
#define PP_WSTATUS_CONTINUED 0x13
#endif

/* The Linux-only waitpid options a wait passes on to waitid unchanged. */
#if defined(__WALL)
#define PP_WAIT_LINUX_OPTIONS (__WALL | __WCLONE | __WNOTHREAD)
#else
#define PP_WAIT_LINUX_OPTIONS 0
#endif

/*
 * pp_sys_waitid is waitid(type, id, info, options) that also fills *ru
 * (when not NULL) with the usage of a child it reaps; 0 or -errno.
 */
long pp_sys_waitid(idtype_t type, id_t id, siginfo_t *info, int options, struct rusage *ru);

/* pp_sys_wait4 is wait4(pid, wstatus, options, ru): the pid, 0, or -errno. */
long pp_sys_wait4(int pid, int *wstatus, int options, struct rusage *ru);

/*
 * pp_sys_each_child calls fn(pid, arg) for each of this process's unreaped
 * children until fn returns non-zero, and returns that, or 0 when none did;
 * -1 where the kernel cannot list them cheaply. It allocates nothing (it may
 * run in a signal handler).
 */
int pp_sys_each_child(int (*fn)(long pid, void *arg), void *arg);

/* pp_sys_pgid_of is the process group of pid, or -1 when it cannot tell. */
long pp_sys_pgid_of(long pid);

/* pp_sys_pipe makes a pipe whose both ends are close-on-exec; 0 or -errno. */
int pp_sys_pipe(int fds[2]);

/* pp_sys_socketpair makes a close-on-exec AF_UNIX stream pair; 0 or -errno. */
int pp_sys_socketpair(int fds[2]);

/*
 * pp_sys_wake_open makes a non-blocking wake-up channel: *rfd is readable
 * once pp_sys_wake(*wfd) was called, until pp_sys_wake_drain(*rfd). One
 * eventfd where the kernel has them (rfd == wfd), else a pipe. 0 or -errno.
 */
int pp_sys_wake_open(int *rfd, int *wfd);
void pp_sys_wake(int wfd);
void pp_sys_wake_drain(int rfd);

#endif
