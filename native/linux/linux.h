/*
 * linux.h - what the files of the Linux backend share.
 */
#ifndef PP_LINUX_H
#define PP_LINUX_H

#include "../common/backend.h"
#include "sys.h"

/* The most child fd slots a request may set up (the child keeps a copy). */
#define PP_LINUX_MAX_FDS 1024

/*
 * pp_linux_ctx lives on the parent's stack and is shared with the child
 * through CLONE_VM: the request in, the failure (if any) out.
 */
typedef struct pp_linux_ctx {
  const pp_spawn_req *req;
  int close_range;
  volatile pp_spawn_error err;
} pp_linux_ctx;

/* pp_linux_features is what pp_linux_probe found, once per process. */
extern pp_caps pp_linux_features;

/* pp_linux_child runs in the child between clone and execve. */
int pp_linux_child(void *arg);

/* pp_linux_probe detects, once, what this kernel gives the backend. */
int pp_linux_probe(pp_caps *caps, const char **reason);

/* pp_linux_spawn starts a child with a pidfd, as backend.h describes. */
int pp_linux_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err);

/* pp_linux_clone starts fn(arg) with CLONE_VM|CLONE_VFORK and a pidfd. */
long pp_linux_clone(int use_clone3, unsigned long long extra, pp_child_fn fn, void *arg,
                    int *pidfd);

/* pp_linux_try_reap, pp_linux_reap: waitid(P_PIDFD), then theft recovery. */
int pp_linux_try_reap(pp_child *child, pp_status *st);
int pp_linux_reap(pp_child *child, pp_status *st);

/* pp_linux_watch tells the event loop to poll the pidfd. */
int pp_linux_watch(const pp_child *child, int *fd);

/* pp_linux_signal sends sig through pidfd_send_signal. */
int pp_linux_signal(pp_child *child, int sig);

/* pp_linux_release closes the pidfd. */
void pp_linux_release(pp_child *child);

/* pp_linux_adopt opens a pidfd on a child of ours and puts it in the table. */
int pp_linux_adopt(int pid, pp_child *child);

#endif
