/*
 * emulation.c - FreeBSD's process descriptors and kqueue, emulated on Linux
 * for the tests, so that the FreeBSD backend's logic runs here.
 *
 *   FreeBSD                          emulated with
 *   pdfork(&fd, flags)               clone(CLONE_PIDFD): the descriptor is a pidfd
 *   pdkill, pdgetpid                 pidfd_send_signal, the pid noted at pdfork
 *   close of the last descriptor     SIGKILL to a running child without PD_DAEMON
 *   wait4(pid) while it is open      waitid(P_PIDFD): the pid cannot be recycled
 *   kqueue, EVFILT_PROCDESC          an epoll fd watching the pidfd; NOTE_EXIT's
 *                                    data is the wait status, read without reaping
 *                                    (or through PIDFD_GET_INFO once reaped)
 *   EVFILT_PROC on a pid             the same, on a pidfd opened on the pid: a pid
 *                                    already reaped gives ESRCH, as it does there
 *   PROC_PDEATHSIG_CTL               PR_SET_PDEATHSIG
 *
 * What only a FreeBSD kernel does is not emulated: the child still sends
 * SIGCHLD to its parent and a waitpid(-1) still sees it (an exec'd Linux
 * child goes back to SIGCHLD whatever it was created with).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/cpuset.h>
#include <sys/procctl.h>
#include <sys/procdesc.h>
#include <sys/event.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../native/freebsd/sys.h"

#define EMU_MAX_FD 65536
#define EMU_P_PIDFD 3
#define EMU_PIDFD_INFO_EXIT (1ULL << 3)
#define EMU_PIDFD_GET_INFO _IOWR(0xFF, 11, struct emu_pidfd_info)

/* The first version of struct pidfd_info (64 bytes). */
struct emu_pidfd_info {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};

/*
 * The process descriptors, by fd: the child's pid, its flags and the pid
 * of the process that made it. Lock-free: a pdfork child may close fds.
 */
static _Atomic int emu_pid[EMU_MAX_FD];
static _Atomic int emu_flags[EMU_MAX_FD];
static _Atomic int emu_owner[EMU_MAX_FD];
static _Atomic int emu_high;
/* The pidfd an emulated kqueue opened for an EVFILT_PROC watch, by kqueue fd (one watch each). */
static _Atomic int emu_kq_pidfd[EMU_MAX_FD];

static long emu_sys(long r) {
  return r < 0 ? -errno : r;
}

static int emu_is_procdesc(int fd) {
  return fd >= 0 && fd < EMU_MAX_FD && atomic_load(&emu_pid[fd]) > 0 &&
         atomic_load(&emu_owner[fd]) == getpid();
}

pid_t pdfork(int *fdp, int flags) {
  int pidfd = -1;
  long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
  if (pid <= 0) return (pid_t)pid;
  if (pidfd >= EMU_MAX_FD) {
    close(pidfd);
    errno = EMFILE;
    return -1;
  }
  atomic_store(&emu_flags[pidfd], flags);
  atomic_store(&emu_owner[pidfd], getpid());
  atomic_store(&emu_pid[pidfd], (int)pid);
  int high = atomic_load(&emu_high);
  while (pidfd + 1 > high && !atomic_compare_exchange_weak(&emu_high, &high, pidfd + 1)) {
  }
  *fdp = pidfd;
  return (pid_t)pid;
}

int pdkill(int fd, int signum) {
  if (!emu_is_procdesc(fd)) {
    errno = EBADF;
    return -1;
  }
  return (int)syscall(SYS_pidfd_send_signal, fd, signum, NULL, 0);
}

int pdgetpid(int fd, pid_t *pidp) {
  if (!emu_is_procdesc(fd)) {
    errno = EBADF;
    return -1;
  }
  *pidp = atomic_load(&emu_pid[fd]);
  return 0;
}

int pp_emu_close(int fd) {
  if (fd >= 0 && fd < EMU_MAX_FD && atomic_load(&emu_kq_pidfd[fd]) > 0) {
    close(atomic_exchange(&emu_kq_pidfd[fd], 0));
  }
  if (emu_is_procdesc(fd)) {
    if (!(atomic_load(&emu_flags[fd]) & PD_DAEMON))
      syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
    atomic_store(&emu_pid[fd], 0);
  }
  return close(fd);
}

static int emu_wstatus(const siginfo_t *info) {
  if (info->si_code == CLD_EXITED) return (info->si_status & 0xff) << 8;
  return (info->si_status & 0x7f) | (info->si_code == CLD_DUMPED ? 0x80 : 0);
}

static int emu_fd_of(pid_t pid) {
  int high = atomic_load(&emu_high);
  for (int fd = 0; fd < high; fd++) {
    if (atomic_load(&emu_pid[fd]) == pid && atomic_load(&emu_owner[fd]) == getpid()) return fd;
  }
  return -1;
}

pid_t pp_emu_wait4(pid_t pid, int *wstatus, int options, struct rusage *ru) {
  siginfo_t info;
  int fd = pid > 0 ? emu_fd_of(pid) : -1;
  if (fd < 0) return wait4(pid, wstatus, options, ru);
  memset(&info, 0, sizeof(info));
  long r = syscall(SYS_waitid, EMU_P_PIDFD, fd, &info, WEXITED | (options & WNOHANG), ru);
  if (r < 0) return -1;
  if (info.si_pid == 0) return 0;
  *wstatus = emu_wstatus(&info);
  return pid;
}

int kqueue(void) {
  return epoll_create1(EPOLL_CLOEXEC);
}

/*
 * The exit status of an exited child, without reaping it; once someone else
 * reaped it, the kernel's copy, after the task is released (POLLHUP): the
 * kernel records it just before.
 */
static int emu_exit_status(int pidfd, int64_t *data) {
  siginfo_t info;
  struct emu_pidfd_info pinfo = {.mask = EMU_PIDFD_INFO_EXIT};
  memset(&info, 0, sizeof(info));
  long r =
      emu_sys(syscall(SYS_waitid, EMU_P_PIDFD, pidfd, &info, WEXITED | WNOHANG | WNOWAIT, NULL));
  if (r == 0 && info.si_pid != 0) {
    *data = emu_wstatus(&info);
    return 1;
  }
  if (r != -ECHILD) return 0;
  for (int i = 0; i < 200; i++) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    if (poll(&p, 1, 10) > 0 && (p.revents & POLLHUP)) break;
  }
  if (ioctl(pidfd, EMU_PIDFD_GET_INFO, &pinfo) == 0 && (pinfo.mask & EMU_PIDFD_INFO_EXIT)) {
    *data = pinfo.exit_code;
    return 1;
  }
  return 0;
}

/*
 * One change: EVFILT_PROCDESC watches the descriptor itself, EVFILT_PROC a
 * pidfd opened on the pid. The epoll data carries the ident and the pidfd.
 */
static int emu_change(int kq, const struct kevent *c) {
  int pidfd = (int)c->ident;
  if (c->filter == EVFILT_PROC && (c->flags & EV_ADD)) {
    if (kq >= EMU_MAX_FD || atomic_load(&emu_kq_pidfd[kq]) > 0) {
      errno = EINVAL;
      return -1;
    }
    pidfd = (int)syscall(SYS_pidfd_open, (pid_t)c->ident, 0);
    if (pidfd < 0) return -1;
    atomic_store(&emu_kq_pidfd[kq], pidfd);
  } else if (c->filter != EVFILT_PROCDESC || !emu_is_procdesc(pidfd) || !(c->flags & EV_ADD)) {
    errno = EINVAL;
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN,
                           .data.u64 = ((uint64_t)c->ident << 32) | (uint32_t)pidfd};
  return epoll_ctl(kq, EPOLL_CTL_ADD, pidfd, &ev);
}

int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout) {
  for (int i = 0; i < nchanges; i++) {
    if (emu_change(kq, &changelist[i]) < 0) return -1;
  }
  if (nevents == 0) return 0;
  struct epoll_event ready[64];
  int ms = timeout == NULL ? -1 : (int)(timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000);
  int n = epoll_wait(kq, ready, nevents < 64 ? nevents : 64, ms);
  int out = 0;
  for (int i = 0; i < n; i++) {
    int64_t data = 0;
    int pidfd = (int)(ready[i].data.u64 & 0xffffffffU), ident = (int)(ready[i].data.u64 >> 32);
    if (!emu_exit_status(pidfd, &data)) continue;
    short filter = ident == pidfd ? EVFILT_PROCDESC : EVFILT_PROC;
    EV_SET(&eventlist[out], ident, filter, 0, NOTE_EXIT, data, NULL);
    out++;
  }
  return n < 0 ? -1 : out;
}

int procctl(idtype_t idtype, id_t id, int cmd, void *data) {
  if (idtype != P_PID || id != 0 || (cmd != PROC_PDEATHSIG_CTL && cmd != PROC_NO_NEW_PRIVS_CTL)) {
    errno = EINVAL;
    return -1;
  }
  if (cmd == PROC_NO_NEW_PRIVS_CTL) return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return prctl(PR_SET_PDEATHSIG, *(int *)data);
}

/* cpuset_setaffinity of the calling process (id -1) only, as the backend makes it. */
int cpuset_setaffinity(cpulevel_t level, cpuwhich_t which, id_t id, size_t size,
                       const cpuset_t *mask) {
  if (level != CPU_LEVEL_WHICH || which != CPU_WHICH_PID || id != (id_t)-1) {
    errno = EINVAL;
    return -1;
  }
  return sched_setaffinity(0, size, mask);
}

/* raw.c's calls: in the emulated child the C library's are safe, as nothing is locked. */
int pp_freebsd_sigaction(int sig, const struct sigaction *act) {
  return sigaction(sig, act, NULL) == 0 ? 0 : -errno;
}

int pp_freebsd_sigmask(int how, const sigset_t *set) {
  return sigprocmask(how, set, NULL) == 0 ? 0 : -errno;
}

int pp_freebsd_nsig(void) {
  return 64;
}
