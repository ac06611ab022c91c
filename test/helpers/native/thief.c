/*
 * thief.c: a Node-API addon that plays a hostile foreign reaper inside the Node process.
 *
 * It exists only for the test suite. Two thieves are available, and both take statuses that are not
 * theirs to take:
 *
 *   - the thread thief, a pthread that loops on a blocking waitpid(-1), as init-style reapers do;
 *   - the SIGCHLD thief, a raw sigaction() handler that loops on waitpid(-1, WNOHANG) and then
 *     chains to the handler it replaced (libuv's), as pre-forking servers and embedded runtimes do.
 *
 * Every (pid, raw wait status) either thief reaps is appended to one preallocated log. Appending is
 * lock-free (one atomic counter reserves a slot, a per-slot flag publishes it), because the signal
 * handler may interrupt any thread at any point and must never take a lock; the thread thief uses
 * the same path, so both producers share one ordering. Readers (takeStolen) are serialized by a
 * mutex.
 *
 * Caveats for tests. libuv installs its own SIGCHLD handler when its first SIGCHLD watcher starts
 * and restores SIG_DFL when its last one stops, so it can silently replace the SIGCHLD thief: keep
 * one watcher alive (process.on('SIGCHLD'), which test/helpers/thief.ts does) and check with
 * isSigchldThiefInstalled(). While a thief runs, child_process children in the same process never
 * report their exit, because libuv only reaps its own pids and finds them gone; spawnSync hangs.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8

#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The log holds this many entries between two takeStolen() calls that drain it completely. */
#define THIEF_CAPACITY (1 << 20)

/* The longest message thief_throw() formats. */
#define THIEF_MESSAGE_MAX 160

/* One reaped child: its pid, its raw wait status and whether the slot is published yet. */
typedef struct {
  pid_t pid;
  int status;
  atomic_int ready;
} thief_entry;

static thief_entry thief_log[THIEF_CAPACITY];
static atomic_size_t thief_next;
static size_t thief_read;
static atomic_size_t thief_dropped;
static pthread_mutex_t thief_read_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t thief_thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thief_thread;
static bool thief_thread_running;
static atomic_bool thief_thread_stop;
static atomic_int thief_wakeup_pid;

static pthread_mutex_t thief_signal_lock = PTHREAD_MUTEX_INITIALIZER;

/* The pids SIGCHLD told the SIGCHLD thief about (si_pid), whether or not it could reap them. */
#define THIEF_SIGNAL_CAPACITY (1 << 16)
static atomic_int thief_signal_pids[THIEF_SIGNAL_CAPACITY];
static atomic_size_t thief_signal_next;
static struct sigaction thief_ignored_previous;
static struct sigaction thief_previous_action;
static atomic_bool thief_signal_installed;

/*
 * Calls a Node-API function and, when it fails, throws (unless an exception is pending) and returns
 * NULL.
 */
#define THIEF_NAPI_CALL(env, call)          \
  do {                                      \
    if ((call) != napi_ok) {                \
      thief_throw_napi_failure(env, #call); \
      return NULL;                          \
    }                                       \
  } while (0)

/*
 * Throws a plain Error naming the Node-API call that failed, unless an exception is already
 * pending.
 */
static void thief_throw_napi_failure(napi_env env, const char *call) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    return;
  }
  const napi_extended_error_info *info = NULL;
  char message[THIEF_MESSAGE_MAX];
  napi_get_last_error_info(env, &info);
  snprintf(message, sizeof message, "%s failed: %s", call,
           info != NULL && info->error_message != NULL ? info->error_message : "unknown error");
  napi_throw_error(env, NULL, message);
}

/* Throws an Error shaped like Node's system errors: code 'ECHILD', errno -10, syscall 'waitpid'. */
static void thief_throw_errno(napi_env env, int error, const char *syscall) {
  const char *name = strerrorname_np(error);
  char code[32];
  char message[THIEF_MESSAGE_MAX];
  napi_value js_code;
  napi_value js_message;
  napi_value js_error;
  napi_value js_errno;
  napi_value js_syscall;

  if (name == NULL) {
    snprintf(code, sizeof code, "E%d", error);
  } else {
    snprintf(code, sizeof code, "%s", name);
  }
  snprintf(message, sizeof message, "%s %s (%s)", syscall, code, strerrordesc_np(error));
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok ||
      napi_create_error(env, js_code, js_message, &js_error) != napi_ok ||
      napi_create_int32(env, -error, &js_errno) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall) != napi_ok ||
      napi_set_named_property(env, js_error, "errno", js_errno) != napi_ok ||
      napi_set_named_property(env, js_error, "syscall", js_syscall) != napi_ok) {
    thief_throw_napi_failure(env, "thief_throw_errno");
    return;
  }
  napi_throw(env, js_error);
}

/*
 * Appends one reaped child to the log. It is async-signal-safe: no lock, no allocation, only atomic
 * operations on preallocated memory, so the SIGCHLD handler and the thread thief can both call it.
 */
static void thief_record(pid_t pid, int status) {
  /*
   * The child stopThreadThief() creates only to wake the thread thief is not a theft worth
   * reporting, whichever thief reaps it. Its pid stays set until the next start; only a wrap-around
   * of the whole pid space could make an unrelated child match it meanwhile.
   */
  if (pid == atomic_load(&thief_wakeup_pid)) {
    return;
  }
  size_t slot = atomic_fetch_add(&thief_next, 1);
  if (slot >= THIEF_CAPACITY) {
    atomic_fetch_add(&thief_dropped, 1);
    return;
  }
  thief_log[slot].pid = pid;
  thief_log[slot].status = status;
  atomic_store_explicit(&thief_log[slot].ready, 1, memory_order_release);
}

/* Sleeps for the given number of microseconds, resuming after any interruption. */
static void thief_sleep_us(long microseconds) {
  struct timespec request = {.tv_sec = 0, .tv_nsec = microseconds * 1000};
  while (nanosleep(&request, &request) == -1 && errno == EINTR) {
  }
}

/* Runs the thread thief: reaps any child with a blocking waitpid(-1) until asked to stop. */
static void *thief_thread_main(void *unused) {
  (void)unused;
  while (!atomic_load(&thief_thread_stop)) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid > 0) {
      thief_record(pid, status);
    } else if (errno == ECHILD) {
      thief_sleep_us(200);
    }
  }
  return NULL;
}

/* Handles SIGCHLD: reaps every child that has exited, then calls the handler that was replaced. */
static void thief_sigchld_handler(int signo, siginfo_t *info, void *context) {
  int saved_errno = errno;
  if (info != NULL && info->si_code > 0) {
    size_t slot = atomic_fetch_add(&thief_signal_next, 1);
    if (slot < THIEF_SIGNAL_CAPACITY) atomic_store(&thief_signal_pids[slot], info->si_pid);
  }
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      thief_record(pid, status);
    } else if (pid == -1 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  /*
   * Chaining keeps libuv's self-pipe informed, so the event loop and its other signals keep
   * working.
   */
  if (thief_previous_action.sa_flags & SA_SIGINFO) {
    if (thief_previous_action.sa_sigaction != NULL) {
      thief_previous_action.sa_sigaction(signo, info, context);
    }
  } else if (thief_previous_action.sa_handler != SIG_DFL &&
             thief_previous_action.sa_handler != SIG_IGN) {
    thief_previous_action.sa_handler(signo);
  }
  errno = saved_errno;
}

/* Returns undefined, the result of every export that has nothing to say. */
static napi_value thief_undefined(napi_env env) {
  napi_value result = NULL;
  napi_get_undefined(env, &result);
  return result;
}

/*
 * Reads up to `capacity` arguments of a call into `argv` (missing ones become undefined) and stores
 * how many were given in `argc`, throwing if fewer than `required` were given.
 */
static bool thief_get_args(napi_env env, napi_callback_info cb, size_t capacity, size_t required,
                           napi_value *argv, size_t *argc) {
  *argc = capacity;
  if (napi_get_cb_info(env, cb, argc, argv, NULL, NULL) != napi_ok) {
    thief_throw_napi_failure(env, "napi_get_cb_info");
    return false;
  }
  if (*argc < required) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "thief: missing arguments");
    return false;
  }
  return true;
}

/* Reads a JS number as an int32, throwing a TypeError when it is not a number. */
static bool thief_get_int(napi_env env, napi_value value, int32_t *out) {
  if (napi_get_value_int32(env, value, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "thief: expected a number");
    return false;
  }
  return true;
}

/* Builds the { pid, status } object every reaping export returns. */
static napi_value thief_make_reaped(napi_env env, pid_t pid, int status) {
  napi_value object;
  napi_value js_pid;
  napi_value js_status;
  THIEF_NAPI_CALL(env, napi_create_object(env, &object));
  THIEF_NAPI_CALL(env, napi_create_int32(env, pid, &js_pid));
  THIEF_NAPI_CALL(env, napi_create_int32(env, status, &js_status));
  THIEF_NAPI_CALL(env, napi_set_named_property(env, object, "pid", js_pid));
  THIEF_NAPI_CALL(env, napi_set_named_property(env, object, "status", js_status));
  return object;
}

/* Implements startThreadThief(): starts the thread thief, or throws if one is already running. */
static napi_value thief_start_thread(napi_env env, napi_callback_info cb) {
  (void)cb;
  sigset_t all;
  sigset_t previous;
  int error;

  pthread_mutex_lock(&thief_thread_lock);
  if (thief_thread_running) {
    pthread_mutex_unlock(&thief_thread_lock);
    napi_throw_error(env, "ERR_THIEF_RUNNING", "the thread thief is already running");
    return NULL;
  }
  atomic_store(&thief_thread_stop, false);
  atomic_store(&thief_wakeup_pid, 0);
  /*
   * The thief inherits a full mask, so no signal handler (the SIGCHLD thief included) runs on it.
   */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  error = pthread_create(&thief_thread, NULL, thief_thread_main, NULL);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (error != 0) {
    pthread_mutex_unlock(&thief_thread_lock);
    thief_throw_errno(env, error, "pthread_create");
    return NULL;
  }
  thief_thread_running = true;
  pthread_mutex_unlock(&thief_thread_lock);
  return thief_undefined(env);
}

/*
 * Creates one child that exits at once, so a thief blocked in waitpid(-1) returns and sees its stop
 * flag. The child shares our memory (vfork) and publishes its own pid before exiting, so the thief
 * can recognise it even if it reaps the child before vfork() returns here. Returns the pid or
 * -errno.
 */
static pid_t thief_wake_reaper(void) {
  pid_t pid = vfork();
  if (pid == 0) {
    atomic_store(&thief_wakeup_pid, (int)getpid());
    _exit(0);
  }
  return pid == -1 ? -errno : pid;
}

/* Implements stopThreadThief(): stops the thread thief and joins it; does nothing if none runs. */
static napi_value thief_stop_thread(napi_env env, napi_callback_info cb) {
  (void)cb;
  pid_t wakeup;

  pthread_mutex_lock(&thief_thread_lock);
  if (!thief_thread_running) {
    pthread_mutex_unlock(&thief_thread_lock);
    return thief_undefined(env);
  }
  atomic_store(&thief_thread_stop, true);
  wakeup = thief_wake_reaper();
  pthread_join(thief_thread, NULL);
  thief_thread_running = false;
  pthread_mutex_unlock(&thief_thread_lock);
  if (wakeup < 0) {
    thief_throw_errno(env, -wakeup, "vfork");
    return NULL;
  }
  /*
   * The thief may have left on another child's exit; then the wake-up child is still ours to reap.
   * It has already exited or is about to, so this blocking wait is short; ECHILD means the thief
   * took it.
   */
  while (waitpid(wakeup, NULL, 0) == -1 && errno == EINTR) {
  }
  return thief_undefined(env);
}

/*
 * Implements installSigchldThief(): installs the SIGCHLD thief, remembering the handler it
 * replaces.
 */
static napi_value thief_install_signal(napi_env env, napi_callback_info cb) {
  (void)cb;
  struct sigaction action;

  pthread_mutex_lock(&thief_signal_lock);
  if (atomic_load(&thief_signal_installed)) {
    pthread_mutex_unlock(&thief_signal_lock);
    napi_throw_error(env, "ERR_THIEF_RUNNING", "the SIGCHLD thief is already installed");
    return NULL;
  }
  /*
   * Read the action being replaced before installing ours: once ours is in force, another thread
   * may run it at once, and it must find the action to chain to already in place.
   */
  if (sigaction(SIGCHLD, NULL, &thief_previous_action) == -1) {
    int error = errno;
    pthread_mutex_unlock(&thief_signal_lock);
    thief_throw_errno(env, error, "sigaction");
    return NULL;
  }
  memset(&action, 0, sizeof action);
  action.sa_sigaction = thief_sigchld_handler;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&action.sa_mask);
  if (sigaction(SIGCHLD, &action, NULL) == -1) {
    int error = errno;
    pthread_mutex_unlock(&thief_signal_lock);
    thief_throw_errno(env, error, "sigaction");
    return NULL;
  }
  atomic_store(&thief_signal_installed, true);
  pthread_mutex_unlock(&thief_signal_lock);
  return thief_undefined(env);
}

/* Tells whether the SIGCHLD action in force right now is the SIGCHLD thief's handler. */
static bool thief_signal_in_force(void) {
  struct sigaction current;
  if (sigaction(SIGCHLD, NULL, &current) == -1) {
    return false;
  }
  return (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == thief_sigchld_handler;
}

/*
 * Implements uninstallSigchldThief(): restores the replaced action if the thief's handler is still
 * the one in force, and returns whether it did. If libuv has since installed its own handler, that
 * one is left alone: restoring ours over it would break child_process.
 */
static napi_value thief_uninstall_signal(napi_env env, napi_callback_info cb) {
  (void)cb;
  bool restored = false;
  napi_value result;

  pthread_mutex_lock(&thief_signal_lock);
  if (atomic_load(&thief_signal_installed)) {
    if (thief_signal_in_force()) {
      restored = sigaction(SIGCHLD, &thief_previous_action, NULL) == 0;
    }
    atomic_store(&thief_signal_installed, false);
  }
  pthread_mutex_unlock(&thief_signal_lock);
  THIEF_NAPI_CALL(env, napi_get_boolean(env, restored, &result));
  return result;
}

/*
 * Implements takeSignalPids(): the pids that SIGCHLD named to the SIGCHLD thief (each signal's
 * si_pid; signals that arrive together are merged by the kernel) since the last call.
 */
static napi_value thief_take_signal_pids(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value array, value;
  size_t n = atomic_exchange(&thief_signal_next, 0);
  if (n > THIEF_SIGNAL_CAPACITY) n = THIEF_SIGNAL_CAPACITY;
  THIEF_NAPI_CALL(env, napi_create_array_with_length(env, n, &array));
  for (size_t i = 0; i < n; i++) {
    THIEF_NAPI_CALL(env, napi_create_int32(env, atomic_load(&thief_signal_pids[i]), &value));
    THIEF_NAPI_CALL(env, napi_set_element(env, array, (uint32_t)i, value));
  }
  return array;
}

/*
 * Implements ignoreSigchld(on): sets SIGCHLD to SIG_IGN, as some hosts do (the kernel then reaps
 * every child at its exit and keeps no status), or puts back the action it replaced.
 */
static napi_value thief_ignore_sigchld(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  bool on = true;
  THIEF_NAPI_CALL(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc > 0) THIEF_NAPI_CALL(env, napi_get_value_bool(env, argv[0], &on));
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  int r = on ? sigaction(SIGCHLD, &ignore, &thief_ignored_previous)
             : sigaction(SIGCHLD, &thief_ignored_previous, NULL);
  if (r == -1) {
    thief_throw_errno(env, errno, "sigaction");
    return NULL;
  }
  return thief_undefined(env);
}

/* Implements sigchldDisposition(): 'default', 'ignore' or 'handler', as SIGCHLD's action is now. */
static napi_value thief_sigchld_disposition(napi_env env, napi_callback_info cb) {
  (void)cb;
  struct sigaction now;
  napi_value result;
  sigaction(SIGCHLD, NULL, &now);
  const char *name = (now.sa_flags & SA_SIGINFO) ? "handler"
                     : now.sa_handler == SIG_IGN ? "ignore"
                     : now.sa_handler == SIG_DFL ? "default"
                                                 : "handler";
  THIEF_NAPI_CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &result));
  return result;
}

/*
 * Implements isSigchldThiefInstalled(): whether the thief's handler is the SIGCHLD action right
 * now.
 */
static napi_value thief_signal_installed_now(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value result;
  THIEF_NAPI_CALL(env, napi_get_boolean(env, thief_signal_in_force(), &result));
  return result;
}

/*
 * Resets the log to empty once every reserved slot has been read, so the capacity applies between
 * drains rather than over the whole process. It only succeeds if no producer reserved a slot
 * meanwhile. The caller holds thief_read_lock.
 */
static void thief_try_rewind(void) {
  size_t expected = thief_read;
  if (expected == 0) {
    return;
  }
  /*
   * Past the capacity producers only count drops and write nothing, so any such value may be reset.
   */
  if (expected == THIEF_CAPACITY) {
    size_t observed = atomic_load(&thief_next);
    expected = observed > THIEF_CAPACITY ? observed : expected;
  }
  if (atomic_compare_exchange_strong(&thief_next, &expected, 0)) {
    thief_read = 0;
  }
}

/*
 * Implements takeStolen(): returns every published { pid, status } not returned before, oldest
 * first.
 */
static napi_value thief_take_stolen(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value array;
  uint32_t count = 0;

  pthread_mutex_lock(&thief_read_lock);
  if (napi_create_array(env, &array) != napi_ok) {
    pthread_mutex_unlock(&thief_read_lock);
    thief_throw_napi_failure(env, "napi_create_array");
    return NULL;
  }
  while (thief_read < THIEF_CAPACITY &&
         atomic_load_explicit(&thief_log[thief_read].ready, memory_order_acquire)) {
    thief_entry *entry = &thief_log[thief_read];
    napi_value item = thief_make_reaped(env, entry->pid, entry->status);
    if (item == NULL || napi_set_element(env, array, count, item) != napi_ok) {
      pthread_mutex_unlock(&thief_read_lock);
      thief_throw_napi_failure(env, "napi_set_element");
      return NULL;
    }
    atomic_store_explicit(&entry->ready, 0, memory_order_relaxed);
    thief_read++;
    count++;
  }
  thief_try_rewind();
  pthread_mutex_unlock(&thief_read_lock);
  return array;
}

/*
 * Implements stolenDropped(): how many reaped children did not fit in the log since the addon
 * loaded.
 */
static napi_value thief_stolen_dropped(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value result;
  THIEF_NAPI_CALL(env, napi_create_double(env, (double)atomic_load(&thief_dropped), &result));
  return result;
}

/* Implements openLeakyFd(): opens /dev/null without O_CLOEXEC, as careless native code does. */
static napi_value thief_open_leaky_fd(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value result;
  int fd = open("/dev/null", O_RDWR);
  if (fd == -1) {
    thief_throw_errno(env, errno, "open");
    return NULL;
  }
  THIEF_NAPI_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

/* Implements closeFd(fd): closes a descriptor, throwing a Node-shaped error on failure. */
static napi_value thief_close_fd(napi_env env, napi_callback_info cb) {
  napi_value argv[1];
  size_t argc;
  int32_t fd;
  if (!thief_get_args(env, cb, 1, 1, argv, &argc) || !thief_get_int(env, argv[0], &fd)) {
    return NULL;
  }
  if (close(fd) == -1) {
    thief_throw_errno(env, errno, "close");
    return NULL;
  }
  return thief_undefined(env);
}

/*
 * Implements rawWaitpid(pid, nohang): libc waitpid(); null when WNOHANG finds nothing, throws on
 * error.
 */
static napi_value thief_raw_waitpid(napi_env env, napi_callback_info cb) {
  napi_value argv[2];
  size_t argc;
  int32_t pid;
  bool nohang = false;
  int status = 0;
  pid_t reaped;

  if (!thief_get_args(env, cb, 2, 1, argv, &argc) || !thief_get_int(env, argv[0], &pid)) {
    return NULL;
  }
  if (argc >= 2 && napi_get_value_bool(env, argv[1], &nohang) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "thief: nohang must be a boolean");
    return NULL;
  }
  do {
    reaped = waitpid(pid, &status, nohang ? WNOHANG : 0);
  } while (reaped == -1 && errno == EINTR);
  if (reaped == -1) {
    thief_throw_errno(env, errno, "waitpid");
    return NULL;
  }
  if (reaped == 0) {
    napi_value null_value;
    THIEF_NAPI_CALL(env, napi_get_null(env, &null_value));
    return null_value;
  }
  return thief_make_reaped(env, reaped, status);
}

/*
 * Implements rawKill(pid, sig): plain kill(2); returns 0 or -errno, never throws for the call
 * itself.
 */
static napi_value thief_raw_kill(napi_env env, napi_callback_info cb) {
  napi_value argv[2];
  size_t argc;
  int32_t pid;
  int32_t sig;
  napi_value result;
  if (!thief_get_args(env, cb, 2, 2, argv, &argc) || !thief_get_int(env, argv[0], &pid) ||
      !thief_get_int(env, argv[1], &sig)) {
    return NULL;
  }
  int rc = kill(pid, sig) == -1 ? -errno : 0;
  THIEF_NAPI_CALL(env, napi_create_int32(env, rc, &result));
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  static const struct {
    const char *name;
    napi_callback callback;
  } functions[] = {
      {"startThreadThief", thief_start_thread},
      {"stopThreadThief", thief_stop_thread},
      {"installSigchldThief", thief_install_signal},
      {"uninstallSigchldThief", thief_uninstall_signal},
      {"isSigchldThiefInstalled", thief_signal_installed_now},
      {"takeStolen", thief_take_stolen},
      {"stolenDropped", thief_stolen_dropped},
      {"openLeakyFd", thief_open_leaky_fd},
      {"closeFd", thief_close_fd},
      {"rawWaitpid", thief_raw_waitpid},
      {"rawKill", thief_raw_kill},
      {"takeSignalPids", thief_take_signal_pids},
      {"ignoreSigchld", thief_ignore_sigchld},
      {"sigchldDisposition", thief_sigchld_disposition},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    THIEF_NAPI_CALL(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH,
                                              functions[i].callback, NULL, &fn));
    THIEF_NAPI_CALL(env, napi_set_named_property(env, exports, functions[i].name, fn));
  }
  return exports;
}
