/*
 * host.c: a Node-API addon that does to its process what a host program's native code may do
 * between two spawns, for the attribute-fidelity tests: a child must start with what its parent
 * thread has at the moment of the spawn, whichever way it was started.
 *
 * Every function acts on the calling thread (the main thread, where the tests spawn) or on the
 * whole process, as the kernel defines the attribute; each throws an Error naming the call that
 * failed. recordSignal() also lets a test see what a native signal handler is told of a signal.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Returns undefined, or throws "<call>: <strerror>" when r is -1. */
static napi_value host_result(napi_env env, int r, const char *call) {
  napi_value undefined;
  if (r == -1) {
    char message[160];
    snprintf(message, sizeof(message), "%s: %s", call, strerror(errno));
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  napi_get_undefined(env, &undefined);
  return undefined;
}

/* Reads the first argument as an int32. */
static int32_t host_int_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t v = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, argv[0], &v);
  return v;
}

/* unshareUts(): a new UTS namespace for the calling thread, named "pp-fidelity". */
static napi_value host_unshare_uts(napi_env env, napi_callback_info info) {
  (void)info;
  if (unshare(CLONE_NEWUTS) == -1) return host_result(env, -1, "unshare");
  return host_result(env, sethostname("pp-fidelity", 11), "sethostname");
}

/* setNoNewPrivs(): PR_SET_NO_NEW_PRIVS on the calling thread. */
static napi_value host_no_new_privs(napi_env env, napi_callback_info info) {
  (void)info;
  return host_result(env, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
}

/* installSeccompFilter(): a filter on every thread (TSYNC) that refuses acct(2) with EPERM. */
static napi_value host_seccomp(napi_env env, napi_callback_info info) {
  (void)info;
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_acct, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  return host_result(env, r == 0 ? 0 : -1, "seccomp");
}

/* dropBoundingCap(cap): takes cap out of the calling thread's bounding set. */
static napi_value host_drop_bounding(napi_env env, napi_callback_info info) {
  return host_result(env, prctl(PR_CAPBSET_DROP, host_int_arg(env, info), 0, 0, 0),
                     "prctl(PR_CAPBSET_DROP)");
}

/* setNice(n): the calling thread's nice value. */
static napi_value host_nice(napi_env env, napi_callback_info info) {
  return host_result(env, setpriority(PRIO_PROCESS, (id_t)gettid(), host_int_arg(env, info)),
                     "setpriority");
}

/* setAffinity(cpu): the calling thread runs on that CPU only. */
static napi_value host_affinity(napi_env env, napi_callback_info info) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(host_int_arg(env, info), &set);
  return host_result(env, sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
}

/* setNofile(n): the process's RLIMIT_NOFILE, soft and hard. */
static napi_value host_nofile(napi_env env, napi_callback_info info) {
  struct rlimit lim = {(rlim_t)host_int_arg(env, info), (rlim_t)host_int_arg(env, info)};
  return host_result(env, setrlimit(RLIMIT_NOFILE, &lim), "setrlimit");
}

/* What the recorder saw of its signal: how many arrived, the last one's si_code and si_pid. */
static volatile sig_atomic_t host_seen_count, host_seen_code, host_seen_pid;

static void host_on_signal(int sig, siginfo_t *si, void *context) {
  (void)sig;
  (void)context;
  host_seen_count++;
  host_seen_code = si->si_code;
  host_seen_pid = si->si_pid;
}

/* recordSignal(sig): a handler of sig (SA_SIGINFO) that records what recordedSignal() returns. */
static napi_value host_record_signal(napi_env env, napi_callback_info info) {
  struct sigaction sa = {.sa_sigaction = host_on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
  host_seen_count = host_seen_code = host_seen_pid = 0;
  return host_result(env, sigaction(host_int_arg(env, info), &sa, NULL), "sigaction");
}

/* recordedSignal(): { count, code, pid } of the signal recordSignal() set a handler for. */
static napi_value host_recorded_signal(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, host_seen_count, &v);
  napi_set_named_property(env, out, "count", v);
  napi_create_int32(env, host_seen_code, &v);
  napi_set_named_property(env, out, "code", v);
  napi_create_int32(env, host_seen_pid, &v);
  napi_set_named_property(env, out, "pid", v);
  return out;
}

/*
 * ownProcessGroup(): this process leads a process group of its own, in its session. A group whose
 * members' parents are all outside the session (a service, a login's session leader) is orphaned:
 * when a task leaves a stopped member to a new parent, the kernel sends the whole group SIGHUP and
 * SIGCONT. A group made here has a parent inside the session, so it never is.
 */
static napi_value host_own_process_group(napi_env env, napi_callback_info info) {
  (void)info;
  return host_result(env, setpgid(0, 0), "setpgid");
}

static napi_value host_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"unshareUts", NULL, host_unshare_uts, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNoNewPrivs", NULL, host_no_new_privs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"installSeccompFilter", NULL, host_seccomp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropBoundingCap", NULL, host_drop_bounding, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNice", NULL, host_nice, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setAffinity", NULL, host_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNofile", NULL, host_nofile, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recordSignal", NULL, host_record_signal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ownProcessGroup", NULL, host_own_process_group, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recordedSignal", NULL, host_recorded_signal, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(host, host_init)
