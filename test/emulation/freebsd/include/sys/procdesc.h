/*
 * sys/procdesc.h, emulated on Linux: FreeBSD's process descriptor calls
 * over pidfds. See ../../emulation.c.
 */
#ifndef PP_EMU_SYS_PROCDESC_H
#define PP_EMU_SYS_PROCDESC_H

#include <sys/types.h>

#define PD_DAEMON 0x00000001
#define PD_CLOEXEC 0x00000002

pid_t pdfork(int *fdp, int flags);
int pdkill(int fd, int signum);
int pdgetpid(int fd, pid_t *pidp);

#endif
