/*
 * sys/procctl.h, emulated on Linux: PROC_PDEATHSIG_CTL as PR_SET_PDEATHSIG,
 * PROC_NO_NEW_PRIVS_CTL as PR_SET_NO_NEW_PRIVS.
 * See ../../emulation.c.
 */
#ifndef PP_EMU_SYS_PROCCTL_H
#define PP_EMU_SYS_PROCCTL_H

#include <sys/types.h>
#include <sys/wait.h>

#define PROC_PDEATHSIG_CTL 11
#define PROC_NO_NEW_PRIVS_CTL 19
#define PROC_NO_NEW_PRIVS_ENABLE 1

int procctl(idtype_t idtype, id_t id, int cmd, void *data);

#endif
