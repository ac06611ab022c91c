/*
 * linux.h - what the files of the Linux backend share.
 *
 * One backend, two ways to start a child (STYLE.md: a mode is not a copy):
 *
 *   direct  clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) from the calling
 *           thread: the child is this process's own, reaped through its
 *           pidfd (spawn.c, wait.c).
 *   hidden  clone(CLONE_VM | CLONE_FILES | CLONE_FS, exit signal 0) starts
 *           an intermediate task, which starts the child with the same
 *           clone and the same child-side code (child.c), waits for it and
 *           reports its status in shared memory (hidden.c, this process's
 *           side; intermediate.c, the intermediate's). The intermediate
 *           is a "clone child" of this process: its exit sends no signal
 *           and no waitpid(-1) without __WALL sees it; the child is its
 *           child, so nothing in this process can reap it.
 */
#ifndef PP_LINUX_H
#define PP_LINUX_H

#include <linux/futex.h>

#include "../common/backend.h"
#include "sys.h"

/* The most child fd slots a request may set up (the child keeps a copy). */
#define PP_LINUX_MAX_FDS 1024

/*
 * pp_linux_ctx is shared with the child through CLONE_VM: the request in,
 * the failure (if any) out.
 */
typedef struct pp_linux_ctx {
  const pp_spawn_req *req;
  int close_range;
  int parent_pid;       /* the child's parent: this process, or the intermediate */
  const void *affinity; /* the CPU mask to take back before exec, or NULL */
  unsigned affinity_size;
  int cgroup_join;  /* 1: the child joins the cgroup whose cgroup.procs is cgroup_procs */
  int cgroup_procs; /* see cgroup_join */
  volatile pp_spawn_error err;
} pp_linux_ctx;

/*
 * pp_linux_hidden is the memory the intermediate of a hidden spawn shares
 * with this process. The kernel writes cpid before the child runs, and
 * clears exec_word when it execs or exits (the child's failure is in
 * ctx.err then); the intermediate writes, under lock, reaped, then the
 * status and done. kill() signals the child only under lock and while
 * reaped is 0: the child's pid cannot have been reused then, on any kernel.
 */
typedef struct pp_linux_hidden {
  pp_linux_ctx ctx;
  pp_child_fn child_fn;           /* pp_linux_child; the probe's own function */
  const int *cgroup_fd;           /* the cgroup directory the child starts in, or NULL */
  int use_clone3;                 /* how the intermediate starts the child */
  unsigned long long child_extra; /* CLONE_CLEAR_SIGHAND where clone3 takes it */
  int host_pid;                   /* the process the intermediate serves */
  int die_signal;                 /* dieWithParent: sent when the spawning thread ends */
  int forwards;                   /* the intermediate left this process's group: it forwards */
  int efd;                        /* written once done, where no pidfd tells of the exit; or -1 */
  int cpid;                       /* the child, written by the kernel before it runs */
  int exec_word;                  /* shared futex: -1, then 0 once the child exec'd or failed */
  struct robust_list_head robust; /* the intermediate's robust futex list: lock_entry alone */
  struct robust_list lock_entry;
  int lock;   /* futex lock word, robust (lock.c): 0 free, else the owner */
  int reaped; /* the child has been reaped, its pid is free */
  int done;   /* 1 once st holds the child's status */
  pp_status st;
  int intermediate_gone;      /* this process's side: the intermediate has been reaped */
  unsigned long affinity[16]; /* the spawning thread's CPU mask, for the child and intermediate */
} pp_linux_hidden;

/*
 * pp_linux_slot heads a slot of a slab (stack.c): a guard page at base,
 * then stack_size bytes of stack, then this header (or the structure that
 * begins with it) at the top.
 */
typedef struct pp_linux_slot {
  struct pp_linux_slot *next; /* the slab's free list */
  void *slab;
  char *base;
  size_t stack_size;
} pp_linux_slot;

/*
 * pp_linux_region is one spawn's memory: a spawn stack for the child,
 * held until it has exec'd, and, for a hidden spawn, the intermediate's
 * stack below the shared state, held until the intermediate is reaped.
 * The structure sits at the top of its slot (stack.c).
 */
typedef struct pp_linux_region {
  pp_linux_slot slot;
  pp_linux_slot *spawn_stack; /* the child's stack's slot, or NULL once given back */
  char *child_stack;          /* lowest address; child_size bytes */
  size_t child_size;
  char *intermediate_stack; /* lowest address; intermediate_size bytes */
  size_t intermediate_size;
  pp_linux_hidden hidden;
} pp_linux_region;

#define PP_LINUX_CHILD_STACK (64 * 1024)
#define PP_LINUX_INTERMEDIATE_STACK (32 * 1024)

/* pp_linux_features is what pp_linux_probe found, once per process. */
extern pp_caps pp_linux_features;

/* pp_linux_region_get takes a region from the pool, or maps one; NULL when out of memory. */
pp_linux_region *pp_linux_region_get(void);

/* pp_linux_region_spawned gives back the child's stack once the child has exec'd or is gone. */
void pp_linux_region_spawned(pp_linux_region *region);

/* pp_linux_region_put gives a region back once no task runs on its stacks. */
void pp_linux_region_put(pp_linux_region *region);

/* pp_linux_guard_install is 1 while guard pages are installed without splitting a mapping. */
int pp_linux_guard_install(void);

/*
 * pp_linux_pin (pin.c) pins the calling thread to the CPU it runs on, so
 * that a task it clones next runs there as soon as the thread waits,
 * keeping its mask in saved (size bytes) and, in ctx, for the child to
 * take back before exec. Returns 1, or 0 when it could not (nothing
 * changed then).
 */
int pp_linux_pin(pp_linux_ctx *ctx, unsigned long *saved, size_t size);

/* pp_linux_unpin gives the calling thread back the mask pp_linux_pin saved. */
void pp_linux_unpin(const pp_linux_ctx *ctx);

/* pp_linux_child runs in the child between clone and execve. */
int pp_linux_child(void *arg);

/*
 * pp_linux_privs_before (privs.c), in the child before its identity
 * changes, sets the resource limits, nice, the CPU mask and the bounding
 * set; 0, or -errno with *step set.
 */
long pp_linux_privs_before(const pp_privs *p, int *step);

/* pp_linux_privs_keep, in the child just before setresuid, keeps the permitted set for the ambient
 * one. */
long pp_linux_privs_keep(const pp_privs *p);

/* pp_linux_privs_after, in the child after its identity changed, sets the capabilities and
 * no_new_privs. */
long pp_linux_privs_after(const pp_privs *p, int *step);

/*
 * pp_linux_privs_check, before a spawn, refuses (-EPERM, with its step) ambient capabilities this
 * thread lacks, and hard limits above this process's without CAP_SYS_RESOURCE.
 */
int pp_linux_privs_check(const pp_privs *p, int *step);

/*
 * pp_linux_cgroup_open, before a spawn, opens the cgroup v2 directory
 * path (*dir) and its cgroup.procs for writing (*procs): -errno when it
 * is missing, not a cgroup v2 directory (ENOTDIR) or not writable.
 */
int pp_linux_cgroup_open(const char *path, int *dir, int *procs);

/* pp_linux_probe detects, once, what this kernel gives the backend. */
int pp_linux_probe(pp_caps *caps, const char **reason);

/* pp_linux_spawn starts a child, direct or hidden, as backend.h describes. */
int pp_linux_spawn(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err);

/*
 * pp_linux_clone_req is one clone: fn(arg) on the stack [stack, stack +
 * size), with CLONE_VM and flags. With CLONE_PIDFD the pidfd lands in
 * *pidfd; with CLONE_PARENT_SETTID the child's pid in *parent_tid before
 * the child runs; with CLONE_CHILD_CLEARTID the kernel writes 0 to
 * *child_tid and wakes its (shared) futex when the child execs or exits.
 * Legacy clone has one slot for pidfd and parent_tid: never both there.
 */
typedef struct pp_linux_clone_req {
  unsigned long long flags;
  int exit_signal;
  char *stack;
  size_t size;
  pp_child_fn fn;
  void *arg;
  int *pidfd;
  int *parent_tid;
  int *child_tid;
  const int *cgroup_fd; /* NULL, or the cgroup v2 directory the child starts in */
} pp_linux_clone_req;

/*
 * pp_linux_clone (clone.c) makes the clone through clone3 or, when clone3
 * is not to be used, legacy clone (flags above 32 bits are dropped there).
 * With a cgroup_fd, clone3 starts the child in that cgroup (5.7); a kernel
 * that does not know CLONE_INTO_CGROUP (EINVAL, E2BIG) gets the clone
 * without it, and legacy clone never has it: the child joins the cgroup
 * itself then (pp_linux_ctx.cgroup_join). Returns the pid or -errno.
 */
long pp_linux_clone(int use_clone3, const pp_linux_clone_req *req);

/*
 * pp_linux_clone_step is the step a failed clone is reported at: the
 * cgroup's, when the child was to start in one and the kernel refused for
 * another reason than a passing shortage; else the clone's.
 */
int pp_linux_clone_step(const pp_linux_clone_req *req, long err);

/* pp_linux_intermediate is the intermediate of a hidden spawn, run on region (intermediate.c). */
int pp_linux_intermediate(void *region);

/*
 * PP_LINUX_LOCK_HOST is the owner id this process's threads take the lock
 * word with: no task id is that high (FUTEX_TID_MASK).
 */
#define PP_LINUX_LOCK_HOST 0x3fffffff

/*
 * pp_linux_lock takes the lock word of a hidden spawn (lock.c) as owner id
 * (a task id, or PP_LINUX_LOCK_HOST), also when its owner died holding it.
 */
void pp_linux_lock(int *word, int id);

/* pp_linux_unlock releases the lock word of a hidden spawn. */
void pp_linux_unlock(int *word);

/*
 * pp_linux_hidden_start starts the intermediate of a hidden spawn, which
 * starts the child as h->ctx describes, and waits until the child has
 * exec'd or exited: no task runs on the region's child stack or reads the
 * request then. A child whose intermediate died before it exec'd is
 * killed and waited for. Called with the table lock held. Returns the
 * intermediate's pid (its pidfd in *pidfd where pidfds work) or -errno;
 * h->ctx.err says whether the child exec'd.
 */
long pp_linux_hidden_start(pp_linux_region *region, int *pidfd);

/*
 * pp_linux_hidden_reap_intermediate reaps the intermediate ipid, through
 * its pidfd when it has one (else -1): 1 once it is reaped (or was, by a
 * wait that bypassed the table), 0 while it runs (nohang), or -errno.
 */
int pp_linux_hidden_reap_intermediate(int ipid, int pidfd, int nohang);

/* pp_linux_try_reap, pp_linux_reap: direct (waitid(P_PIDFD), then theft recovery) or hidden. */
int pp_linux_try_reap(pp_child *child, pp_status *st);
int pp_linux_reap(pp_child *child, pp_status *st);

/* pp_linux_hidden_try_reap reaps a hidden child's intermediate and reads the child's status. */
int pp_linux_hidden_try_reap(pp_child *child, pp_status *st);

/* pp_linux_watch tells the event loop to poll the pidfd (or the intermediate's pidfd or eventfd).
 */
int pp_linux_watch(const pp_child *child, int *fd);

/* pp_linux_signal signals the child or its group: pidfd_send_signal, or under the hidden lock. */
int pp_linux_signal(pp_child *child, int sig, int flags);

/* pp_linux_hidden_signal signals a hidden child while its intermediate has not reaped it. */
int pp_linux_hidden_signal(pp_child *child, int sig, int flags);

/* pp_linux_release closes the descriptors and, for a hidden child, gives its region back. */
void pp_linux_release(pp_child *child);

/* pp_linux_adopt opens a pidfd on a child of ours and puts it in the table. */
int pp_linux_adopt(int pid, pp_child *child);

/*
 * pp_linux_wait_released waits, at most timeout_ms, until the task behind
 * pidfd has been released (POLLHUP); 0 once it has, else -ETIMEDOUT.
 */
int pp_linux_wait_released(int pidfd, int timeout_ms);

#endif
