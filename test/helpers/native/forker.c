/*
 * forker.c: a Node-API addon standing for native code that forks from a thread of its own (a
 * database driver, a PTY library, a daemonizing helper), for the tests of the shim in fork
 * children. It carries a copy of the table code (native/common/table.c), as every copy of the addon
 * does, and so uses the process's one table: the preload shim's when it is loaded.
 *
 * start(n, holdMs, hungMs) forks n times from a new thread. With holdMs > 0, before each fork
 * another thread takes the table lock and holds it for holdMs (the lock a spawn holds from the
 * clone to the exec), so that every fork copies it held; with 0, the forks race the spawns the test
 * makes meanwhile. Each fork child calls waitpid(-1, WNOHANG) (the shim's when it is preloaded),
 * which must answer ECHILD at once (it has no child), then counts the entries of its table, which
 * must be 0 (they were its parent's children), and exits 0, or 2 for a wrong waitpid, or 10 + the
 * count. The parent reaps each child with the raw wait4 system call (never through the shim),
 * waiting at most hungMs; a child still running then is counted hung and SIGKILLed (after 3 of
 * them, it stops).
 *
 * result() -> { forks, hung, wrong, lastWrong, done }.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8

#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../native/common/table.h"

static atomic_int forks, hung, wrong, last_wrong, done;
static int want, hold_ms, hung_ms;

/* The lock holder's handshake: held is set once it holds the lock. */
static atomic_int held;

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

static void *hold_lock(void *arg) {
  (void)arg;
  pp_sigmask saved;
  pp_table_lock(&saved);
  atomic_store(&held, 1);
  sleep_ms(hold_ms);
  pp_table_unlock(&saved);
  return NULL;
}

/* What a fork child does: async-signal-safe calls only. */
static void forked_child(void) {
  int st;
  if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD) _exit(2);
  pp_sigmask saved;
  pp_table_lock(&saved);
  int count = pp_table_count_locked();
  pp_table_unlock(&saved);
  _exit(count == 0 ? 0 : 10 + (count > 100 ? 100 : count));
}

static void *run(void *arg) {
  (void)arg;
  /* A few hung children say enough: each costs hungMs. */
  for (int i = 0; i < want && atomic_load(&hung) < 3; i++) {
    pthread_t holder;
    if (hold_ms > 0) {
      atomic_store(&held, 0);
      pthread_create(&holder, NULL, hold_lock, NULL);
      while (!atomic_load(&held)) sleep_ms(1);
    }
    pid_t pid = fork();
    if (pid == 0) forked_child();
    if (hold_ms > 0) pthread_join(holder, NULL);
    if (pid < 0) continue;
    atomic_fetch_add(&forks, 1);
    int st = 0;
    for (int ms = 0;; ms++) {
      long r = syscall(SYS_wait4, pid, &st, WNOHANG, NULL);
      if (r == pid) {
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
          atomic_fetch_add(&wrong, 1);
          atomic_store(&last_wrong, st);
        }
        break;
      }
      if (ms >= hung_ms) {
        atomic_fetch_add(&hung, 1);
        kill(pid, SIGKILL);
        syscall(SYS_wait4, pid, &st, 0, NULL);
        break;
      }
      sleep_ms(1);
    }
  }
  atomic_store(&done, 1);
  return NULL;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  pthread_t t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int32(env, argv[0], &want);
  napi_get_value_int32(env, argv[1], &hold_ms);
  napi_get_value_int32(env, argv[2], &hung_ms);
  atomic_store(&forks, 0);
  atomic_store(&hung, 0);
  atomic_store(&wrong, 0);
  atomic_store(&done, 0);
  pthread_create(&t, NULL, run, NULL);
  pthread_detach(t);
  return NULL;
}

static void set_int(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value result(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  napi_create_object(env, &obj);
  set_int(env, obj, "forks", atomic_load(&forks));
  set_int(env, obj, "hung", atomic_load(&hung));
  set_int(env, obj, "wrong", atomic_load(&wrong));
  set_int(env, obj, "lastWrong", atomic_load(&last_wrong));
  napi_get_boolean(env, atomic_load(&done) != 0, &v);
  napi_set_named_property(env, obj, "done", v);
  return obj;
}

NAPI_MODULE_INIT() {
  /* As the addon does: the table is picked now, never first in a wait. */
  pp_table_get();
  napi_property_descriptor d[] = {{"start", 0, start, 0, 0, 0, napi_default, 0},
                                  {"result", 0, result, 0, 0, 0, napi_default, 0}};
  napi_define_properties(env, exports, 2, d);
  return exports;
}
