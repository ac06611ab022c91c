/*
 * backend.h - the seam between the Node-API glue and the platform backends.
 *
 * A backend spawns a child from a fully prepared request, tells the event loop
 * what to watch for its exit, reaps it with or without blocking, signals it and
 * releases what it holds. Every function returns 0 or a negative errno; no
 * backend builds a JavaScript value or calls strerror. Failures that happen in
 * the child before exec are reported as { -errno, step } so that lib/errors.ts
 * alone turns them into Node-shaped errors.
 */
#ifndef PP_BACKEND_H
#define PP_BACKEND_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The step of the child's set-up that failed, reported with spawn errors. */
enum pp_step {
  PP_STEP_NONE = 0,
  PP_STEP_CLONE,
  PP_STEP_SIGNALS,
  PP_STEP_DUP2,
  PP_STEP_CLOSE_FDS,
  PP_STEP_SETSID,
  PP_STEP_SETGROUPS,
  PP_STEP_SETGID,
  PP_STEP_SETUID,
  PP_STEP_CAPS,
  PP_STEP_CHDIR,
  PP_STEP_UMASK,
  PP_STEP_PDEATHSIG,
  PP_STEP_EXECVE,
  PP_STEP_INTERMEDIATE,
  PP_STEP_STDIO, /* in this process: the pipes, socket pairs or /dev/null of the stdio slots */
  PP_STEP_RLIMITS,
  PP_STEP_NICE,
  PP_STEP_CPU_AFFINITY,
  PP_STEP_BOUNDING_SET,
  PP_STEP_NO_NEW_PRIVS,
  PP_STEP_CGROUP,
};

/* How a child slot is set up: take a parent fd, or leave the slot closed. */
#define PP_FD_CLOSED (-1)

/* PP_UNCHANGED leaves a credential or the umask as the parent has it. */
#define PP_UNCHANGED (-1)

/*
 * pp_creds is the identity and the process attributes the child takes
 * before exec. Groups are set first, then the gid, then the uid (after
 * which no privilege is left to set the others); when uid or gid really
 * changes and ngroups is PP_UNCHANGED, the supplementary groups are
 * dropped, and so are the ambient and inheritable capabilities (but the
 * ambient ones a pp_privs asks for, which it sets instead). What is
 * already as asked is left alone; a change that is refused fails the
 * spawn: the child never runs with half its identity.
 */
typedef struct pp_creds {
  long uid;    /* PP_UNCHANGED or a uid */
  long gid;    /* PP_UNCHANGED or a gid */
  int ngroups; /* PP_UNCHANGED or the length of groups */
  const unsigned *groups;
  int umask;     /* PP_UNCHANGED or 0 to 0777 */
  int pdeathsig; /* 0, or the signal the child gets when the spawning thread ends */
} pp_creds;

/* pp_privs.flags: which of the least-privilege settings a request makes. */
#define PP_PRIVS_AMBIENT 0x1       /* ambient: the child's capabilities after exec */
#define PP_PRIVS_BOUNDING 0x2      /* bounding: every other capability leaves the bounding set */
#define PP_PRIVS_NO_NEW_PRIVS 0x4  /* PR_SET_NO_NEW_PRIVS */
#define PP_PRIVS_NICE 0x8          /* nice */
#define PP_PRIVS_CPU_AFFINITY 0x10 /* cpus */

/* The most resource limits one request sets, and the CPUs its affinity mask holds. */
#define PP_MAX_RLIMITS 16
#define PP_MAX_CPUS 1024

/*
 * pp_rlimit is one resource limit to set; UINT64_MAX is unlimited. Its
 * resource is numbered in the package's own order (lib/privs.ts), which
 * is generic Linux's: cpu, fsize, data, stack, core, rss, nproc, nofile,
 * memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime.
 */
typedef struct pp_rlimit {
  int resource;
  uint64_t soft;
  uint64_t hard;
} pp_rlimit;

/*
 * pp_privs is what a privileged helper keeps and gives up, set in the
 * child before exec: resource limits, nice and CPU affinity first (raising
 * a hard limit or the priority needs privilege), then the bounding set
 * (CAP_SETPCAP), the identity (pp_creds), the capabilities kept across it
 * (ambient and inheritable, and nothing else permitted) and no_new_privs.
 * The cgroup is entered before all of them, at the clone where it can be.
 * Capability sets are bit masks of capability numbers.
 */
typedef struct pp_privs {
  int flags; /* PP_PRIVS_* */
  uint64_t ambient;
  uint64_t bounding;
  int nice;
  int nrlimits;
  pp_rlimit rlimits[PP_MAX_RLIMITS];
  unsigned long cpus[PP_MAX_CPUS / (8 * sizeof(unsigned long))];
  const char *cgroup; /* NULL, or the cgroup v2 directory the child starts in */
} pp_privs;

/*
 * pp_spawn_req is everything the child needs, prepared by the parent before
 * the clone: the child side may not allocate, lock or look anything up.
 */
typedef struct pp_spawn_req {
  const char *const *candidates; /* absolute paths to try with execve, NULL-ended */
  char *const *argv;             /* NULL-ended */
  char *const *envp;             /* NULL-ended */
  const char *cwd;               /* NULL keeps the parent's */
  const int *fds;                /* child fd i <- parent fds[i], or PP_FD_CLOSED */
  int nfds;                      /* number of child slots (at least 3) */
  int flags;                     /* PP_SPAWN_* */
  pp_creds creds;                /* who the child becomes; see pp_creds */
  const pp_privs *privs;         /* NULL, or what the child keeps and gives up; see pp_privs */
} pp_spawn_req;

#define PP_SPAWN_SETSID 0x1
/*
 * PP_SPAWN_HIDDEN asks for hidden isolation: the child is started by an
 * intermediate task, not by this process, so that no wait of this process
 * (waitpid(-1), a SIGCHLD handler, SIGCHLD ignored) can ever see it.
 */
#define PP_SPAWN_HIDDEN 0x2

/* pp_spawn_error tells why a spawn failed and at which step. */
typedef struct pp_spawn_error {
  int err;  /* negative errno */
  int step; /* enum pp_step */
} pp_spawn_error;

/* pp_status is a reaped child's exit, in the shape of waitid(2)'s siginfo. */
typedef struct pp_status {
  int pid;
  int code;   /* CLD_EXITED, CLD_KILLED or CLD_DUMPED */
  int status; /* exit code, or the signal number */
  int has_rusage;
  int64_t utime_us;
  int64_t stime_us;
  int64_t maxrss_kb;
} pp_status;

/* How a child is known to the table's waits (pp_child.owner). */
enum pp_owner {
  PP_OWNER_HANDLE = 0, /* its handle reaps it */
  PP_OWNER_LIBUV,      /* an adopted ChildProcess: libuv reaps it by pid */
};

/*
 * pp_child is one private child. While it is unreaped it sits in the
 * process-wide table (table.h) under reap_pid, the pid that this process's
 * waits would report: the child's own, or that of the intermediate task
 * that started it in hidden isolation. A status that a wait of ours reaped
 * on its behalf is stashed here for the handle.
 *
 * Its layout is shared by every copy of the addon and the preload shim in
 * a process: a change to it changes PP_TABLE_ABI (table.h).
 */
typedef struct pp_child {
  int pid;      /* the child's pid, as its handle reports it */
  int reap_pid; /* the pid this process reaps for it; the table's key */
  int fd;       /* what the event loop polls (a pidfd, an eventfd), or -1 */
  int aux_fd;   /* a second descriptor the backend keeps, or -1 */
  void *priv;   /* the backend's own state, or NULL */
  const struct pp_backend *backend;
  struct pp_child *next; /* table chain, guarded by the table lock */
  int in_table;
  int stashed;
  int owner; /* enum pp_owner */
  pp_status stash;
} pp_child;

/* pp_caps is what a backend's probe found; every flag is 0 or 1. */
typedef struct pp_caps {
  int clone3;
  int clone_pidfd;
  int pidfd_open;
  int pidfd_send_signal;
  int waitid_pidfd;
  int pidfd_info_exit;
  int close_range;
  int clear_sighand;
  int pidfd_signal_group;     /* pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP), 6.9 */
  int hidden;                 /* hidden isolation works (PP_SPAWN_HIDDEN) */
  int direct;                 /* direct isolation works (the child is this process's own) */
  int guard_install;          /* guard pages inside a mapping (MADV_GUARD_INSTALL, 6.13) */
  int child_fds;              /* descriptors held per live child, stdio pipes apart */
  int transient;              /* the probe met a passing refusal (EAGAIN...): it will run again */
  const char *hidden_missing; /* why hidden isolation does not work here, or NULL */
  const char *direct_missing; /* why direct isolation does not work here, or NULL */
} pp_caps;

/* pp_backend.signal's flags. */
#define PP_SIGNAL_GROUP 0x1 /* the child's process group (pgid = its pid), not the child */

/* How the event loop learns that a child may have exited. */
enum pp_watch_kind {
  PP_WATCH_FD = 1,    /* poll the fd returned in *fd for readability */
  PP_WATCH_SIGCHLD,   /* re-try try_reap on every SIGCHLD */
  PP_WATCH_FD_RECHECK /* poll the fd, and re-try try_reap every second: the fd may miss the exit */
};

/*
 * pp_backend is the table every backend fills once with designated
 * initializers; no member is ever NULL.
 *
 * The pidfd or descriptor of a child must stay open until the event loop has
 * stopped watching it: release is called only after that.
 *
 * probe:    detect what the kernel gives; 0 when the backend can be used,
 *           else -errno with *reason set to a static sentence. caps->hidden
 *           and caps->direct say which isolation it can give, and the
 *           *_missing sentences why not.
 * spawn:    start the child described by req; on failure fill *err.
 * watch:    how the event loop should wait for this child's exit.
 * try_reap: reap without blocking: 0 with *st filled, -EAGAIN if it is still
 *           running, -ECHILD when its status was taken and cannot be
 *           recovered.
 * reap:     like try_reap but blocks until the child has exited.
 * signal:   send sig to the child (sig 0 checks it exists), or with
 *           PP_SIGNAL_GROUP to its process group; only while it is
 *           unreaped, so that neither can be a recycled one: -ESRCH after.
 * release:  free the backend's descriptors once the child is reaped.
 * adopt:    make a private child of an existing child of this process, by
 *           pid; -ENOTSUP where the backend has no descriptor to do it with.
 */
typedef struct pp_backend {
  const char *key; /* its one name: the backend option, capabilities(), the handle */
  int (*probe)(pp_caps *caps, const char **reason);
  int (*spawn)(const pp_spawn_req *req, pp_child *child, pp_spawn_error *err);
  int (*watch)(const pp_child *child, int *fd);
  int (*try_reap)(pp_child *child, pp_status *st);
  int (*reap)(pp_child *child, pp_status *st);
  int (*signal)(pp_child *child, int sig, int flags);
  void (*release)(pp_child *child);
  int (*adopt)(int pid, pp_child *child);
} pp_backend;

extern const pp_backend pp_linux_backend;
extern const pp_backend pp_freebsd_backend;
extern const pp_backend pp_fallback_backend;

/* pp_status_from_wait fills *st from a wait(2)-style status word, without rusage. */
void pp_status_from_wait(pp_status *st, int pid, int wstatus);

/* pp_status_from_siginfo fills *st from what waitid(2) gave: the siginfo and the rusage (or NULL).
 */
void pp_status_from_siginfo(pp_status *st, const siginfo_t *info, const struct rusage *ru);

/* pp_status_rusage puts a child's resource usage into *st. */
void pp_status_rusage(pp_status *st, const struct rusage *ru);

/* pp_registry lists the backends compiled in, in order of preference. */
extern const pp_backend *const pp_registry[];
extern const int pp_registry_count;

/* pp_backend_find returns the backend with this key, or NULL. */
const pp_backend *pp_backend_find(const char *key);

/*
 * pp_backend_select picks the first usable backend for key ("auto" for the
 * first usable one); returns it, or NULL with *reason set.
 */
const pp_backend *pp_backend_select(const char *key, const char **reason);

#endif
