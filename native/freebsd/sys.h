/*
 * sys.h - the FreeBSD system interfaces the backend uses, and the two
 * signal calls the child makes straight to the kernel.
 *
 * pdfork is a raw system call: no atfork handler runs, so the child of a
 * multithreaded Node process may find any lock of the C library held by a
 * thread that does not exist in it. libthr wraps sigaction and sigprocmask
 * with such locks; the child calls the kernel's through pp_freebsd_sigaction
 * and pp_freebsd_sigmask (raw.c) instead. Everything else the child calls is
 * a plain system call stub in libc.
 */
#ifndef PP_FREEBSD_SYS_H
#define PP_FREEBSD_SYS_H

#include <signal.h>
#include <sys/event.h>
#include <sys/procctl.h>
#include <sys/procdesc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

/* procctl's no_new_privs (FreeBSD 14.0); an older kernel refuses it with EINVAL. */
#ifndef PROC_NO_NEW_PRIVS_CTL
#define PROC_NO_NEW_PRIVS_CTL 19
#define PROC_NO_NEW_PRIVS_ENABLE 1
#endif

/* pp_freebsd_sigaction sets sig's action in the kernel; 0 or -errno. */
int pp_freebsd_sigaction(int sig, const struct sigaction *act);

/* pp_freebsd_sigmask sets the thread's signal mask in the kernel; 0 or -errno. */
int pp_freebsd_sigmask(int how, const sigset_t *set);

/* pp_freebsd_nsig is the highest signal number the kernel knows. */
int pp_freebsd_nsig(void);

#endif
