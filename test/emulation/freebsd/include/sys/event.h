/*
 * sys/event.h, emulated on Linux: a kqueue is an epoll fd, and the two
 * filters the backends use, EVFILT_PROCDESC and EVFILT_PROC with NOTE_EXIT,
 * watch a pidfd (the process descriptor's, or one opened on the pid).
 * See ../../emulation.c.
 */
#ifndef PP_EMU_SYS_EVENT_H
#define PP_EMU_SYS_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
  uintptr_t ident;
  short filter;
  unsigned short flags;
  unsigned int fflags;
  int64_t data;
  void *udata;
};

#define EVFILT_PROC (-5)
#define EVFILT_PROCDESC (-8)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define NOTE_EXIT 0x80000000U
#define NOTE_EXITSTATUS 0x04000000U

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                 \
    struct kevent *ev_ = (kevp);       \
    ev_->ident = (uintptr_t)(a);       \
    ev_->filter = (short)(b);          \
    ev_->flags = (unsigned short)(c);  \
    ev_->fflags = (unsigned int)(d);   \
    ev_->data = (int64_t)(e);          \
    ev_->udata = (f);                  \
  } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

#endif
