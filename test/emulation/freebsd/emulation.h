/*
 * emulation.h - what the FreeBSD backend's sources see differently when
 * they are built on Linux against the emulation: close and wait4 of a
 * process descriptor go through it (a pidfd's close must kill a child
 * without PD_DAEMON, and a wait for its pid must go through the pidfd, as
 * the open descriptor keeps the pid from being recycled on FreeBSD).
 */
#ifndef PP_EMU_EMULATION_H
#define PP_EMU_EMULATION_H

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* pp_emu_close is close(2), ending a process descriptor as FreeBSD does. */
int pp_emu_close(int fd);

/* pp_emu_wait4 is wait4(2), reaping an emulated pdfork child through its pidfd. */
pid_t pp_emu_wait4(pid_t pid, int *wstatus, int options, struct rusage *ru);

#define close pp_emu_close
#define wait4 pp_emu_wait4

#endif
