/*
 * addon.c - the Node-API glue: the only file that calls Node-API.
 *
 * A spawned child becomes a pp_handle: the backend's pp_child, the event
 * loop's watch on it, and the JavaScript callback to run when it has been
 * reaped. The JavaScript side holds the handle through an external; the
 * handle is freed once both the external is collected and the loop has
 * closed its watch, and the child's descriptor is closed only after the
 * loop has stopped polling it.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <uv.h>

#include "backend.h"
#include "host_wait.h"
#include "slots.h"

#define PP_MAX_SLOTS 1024

/* A flag of the JS side only: pass this process's environ on, unchanged. */
#define PP_SPAWN_INHERIT_ENV 0x100

extern char **environ;

/* Calls a Node-API function; on failure throws and returns NULL. */
#define PP_NAPI_CALL(env, call)                                  \
  do {                                                           \
    napi_status pp_status_ = (call);                             \
    if (pp_status_ != napi_ok) {                                 \
      addon_throw_status((env), pp_status_, #call);              \
      return NULL;                                               \
    }                                                            \
  } while (0)

typedef struct pp_handle {
  pp_child child;
  napi_env env;
  uv_poll_t poll;
  napi_ref on_exit;
  int watching;  /* the poll is started and the handle is in the live list */
  int poll_open; /* the poll handle exists and its close callback has not run */
  int done;      /* reaped, or its status is lost */
  int js_alive; /* the external has not been collected */
  struct pp_handle *prev, *next;
} pp_handle;

/*
 * Per-environment state: the handles still watched, for the cleanup hook,
 * and the one async context every exit callback runs in.
 */
typedef struct addon_env {
  napi_env env;
  pp_handle *live;
  napi_async_context async;
} addon_env;

static void addon_throw_status(napi_env env, napi_status status, const char *call) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  (void)status;
  napi_throw_error(env, "ERR_PRIVATE_PROCESS_NAPI",
                   info != NULL && info->error_message != NULL ? info->error_message : call);
}

static napi_value addon_int(napi_env env, int64_t v) {
  napi_value out = NULL;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value addon_status_array(napi_env env, const pp_status *st) {
  int64_t v[7] = {st->pid, st->code, st->status, st->has_rusage, st->utime_us, st->stime_us,
                  st->maxrss_kb};
  napi_value arr = NULL;
  napi_create_array_with_length(env, 7, &arr);
  for (uint32_t i = 0; i < 7; i++) napi_set_element(env, arr, i, addon_int(env, v[i]));
  return arr;
}

/* The result of a reap as JS sees it: a status array, null, or a -errno number. */
static napi_value addon_reap_result(napi_env env, int r, const pp_status *st) {
  napi_value out = NULL;
  if (r == 0) return addon_status_array(env, st);
  if (r == -EAGAIN) {
    napi_get_null(env, &out);
    return out;
  }
  return addon_int(env, r);
}

static void addon_poll_closed(uv_handle_t *poll) {
  pp_handle *h = poll->data;
  h->poll_open = 0;
  h->child.backend->release(&h->child);
  if (!h->js_alive) free(h);
}

/* Stops watching a child that was reaped (or lost): the loop lets go of it. */
static void addon_finish(pp_handle *h) {
  addon_env *ae = NULL;
  h->done = 1;
  if (!h->watching) return;
  h->watching = 0;
  uv_poll_stop(&h->poll);
  uv_close((uv_handle_t *)&h->poll, addon_poll_closed);
  if (h->on_exit != NULL) napi_delete_reference(h->env, h->on_exit);
  h->on_exit = NULL;
  napi_get_instance_data(h->env, (void **)&ae);
  if (h->prev != NULL) h->prev->next = h->next;
  else if (ae != NULL) ae->live = h->next;
  if (h->next != NULL) h->next->prev = h->prev;
  h->prev = h->next = NULL;
}

static void addon_on_poll(uv_poll_t *poll, int status, int events) {
  pp_handle *h = poll->data;
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_value cb, recv, result;
  addon_env *ae = NULL;
  pp_status st;
  (void)status;
  (void)events;
  int r = h->child.backend->try_reap(&h->child, &st);
  if (r == -EAGAIN) return;

  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, h->on_exit, &cb);
  napi_get_instance_data(env, (void **)&ae);
  addon_finish(h);
  result = addon_reap_result(env, r, &st);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, ae->async, recv, cb, 1, &result, NULL) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void addon_handle_collected(napi_env env, void *data, void *hint) {
  pp_handle *h = data;
  (void)env;
  (void)hint;
  h->js_alive = 0;
  if (!h->poll_open) free(h);
}

/*
 * When a worker's environment goes away, its loop stops watching; the
 * children stay in the table until they are reaped by waitpid() or the
 * process ends.
 */
static void addon_env_cleanup(void *arg) {
  addon_env *ae = arg;
  for (pp_handle *h = ae->live, *next; h != NULL; h = next) {
    next = h->next;
    h->prev = h->next = NULL;
    h->watching = 0;
    uv_poll_stop(&h->poll);
    uv_close((uv_handle_t *)&h->poll, addon_poll_closed);
  }
  ae->live = NULL;
  napi_async_destroy(ae->env, ae->async);
  free(ae);
}

static pp_handle *addon_get_handle(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a private-process handle");
    return NULL;
  }
  return data;
}

/* Reads a JS string into a malloc'd buffer; *len gets its byte length. */
static char *addon_string(napi_env env, napi_value v, size_t *len) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *buf = malloc(n + 1);
  if (buf == NULL) return NULL;
  napi_get_value_string_utf8(env, v, buf, n + 1, &n);
  if (len != NULL) *len = n;
  return buf;
}

/*
 * Splits a block of NUL-terminated strings into NULL-ended vectors: the
 * candidates, argv and envp, counts[i] strings each, in one allocation.
 */
static char **addon_split(char *block, size_t len, const uint32_t counts[3]) {
  size_t total = counts[0] + counts[1] + counts[2] + 3;
  char **vec = malloc(total * sizeof(char *));
  if (vec == NULL) return NULL;
  char *p = block, *end = block + len;
  size_t k = 0;
  for (int part = 0; part < 3; part++) {
    for (uint32_t i = 0; i < counts[part]; i++) {
      if (p >= end) {
        free(vec);
        return NULL;
      }
      vec[k++] = p;
      p += strlen(p) + 1;
    }
    vec[k++] = NULL;
  }
  return vec;
}

static napi_value addon_spawn_error(napi_env env, int err, int step) {
  napi_value out;
  PP_NAPI_CALL(env, napi_create_object(env, &out));
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "errno", addon_int(env, err)));
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "step", addon_int(env, step)));
  return out;
}

/* Starts the loop's watch on a new child; -errno when the loop refuses. */
static int addon_watch(napi_env env, pp_handle *h, napi_value on_exit) {
  uv_loop_t *loop = NULL;
  addon_env *ae = NULL;
  int fd = -1;
  if (h->child.backend->watch(&h->child, &fd) != PP_WATCH_FD) return -ENOTSUP;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return -EINVAL;
  int r = uv_poll_init(loop, &h->poll, fd);
  if (r < 0) return r;
  h->poll.data = h;
  h->poll_open = 1;
  r = uv_poll_start(&h->poll, UV_READABLE, addon_on_poll);
  if (r < 0) return r;
  h->watching = 1;
  napi_create_reference(env, on_exit, 1, &h->on_exit);
  napi_get_instance_data(env, (void **)&ae);
  h->next = ae->live;
  if (ae->live != NULL) ae->live->prev = h;
  ae->live = h;
  return 0;
}

/* Reads the stdio spec array; returns its length or -1 with an exception. */
static int addon_stdio_spec(napi_env env, napi_value arr, int *spec) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  if (n < 3 || n > PP_MAX_SLOTS) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "stdio must have 3 to 1024 slots");
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t x = PP_STDIO_NONE;
    napi_get_element(env, arr, i, &v);
    napi_get_value_int32(env, v, &x);
    spec[i] = x;
  }
  return (int)n;
}

/*
 * spawn(backend, block, counts, cwd, stdio, flags, onExit) starts a child;
 * returns [handle, pid, ...parent fds] or { errno, step }.
 */
static napi_value addon_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], out;
  uint32_t counts[3];
  int spec[PP_MAX_SLOTS], child_fds[PP_MAX_SLOTS], parent_fds[PP_MAX_SLOTS];
  int32_t flags = 0;
  size_t len = 0;
  char key[32] = "";
  napi_valuetype cwd_type;
  const char *reason = NULL;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_string_utf8(env, argv[0], key, sizeof(key), NULL));
  const pp_backend *backend = pp_backend_select(key, &reason);
  if (backend == NULL) return addon_spawn_error(env, -ENOSYS, PP_STEP_NONE);
  for (uint32_t i = 0; i < 3; i++) {
    napi_value v;
    PP_NAPI_CALL(env, napi_get_element(env, argv[2], i, &v));
    PP_NAPI_CALL(env, napi_get_value_uint32(env, v, &counts[i]));
  }
  int nfds = addon_stdio_spec(env, argv[4], spec);
  if (nfds < 0) return NULL;
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[5], &flags));

  char *block = addon_string(env, argv[1], &len);
  char *cwd = NULL;
  PP_NAPI_CALL(env, napi_typeof(env, argv[3], &cwd_type));
  if (cwd_type == napi_string) cwd = addon_string(env, argv[3], NULL);
  char **vec = block != NULL ? addon_split(block, len, counts) : NULL;
  pp_handle *h = calloc(1, sizeof(*h));
  int r = vec == NULL || h == NULL || (cwd_type == napi_string && cwd == NULL) ? -ENOMEM : 0;
  pp_spawn_error err = {r, PP_STEP_NONE};
  if (r == 0) r = err.err = pp_stdio_open(spec, nfds, child_fds, parent_fds);
  if (r == 0) {
    pp_spawn_req req = {
        .candidates = (const char *const *)vec,
        .argv = vec + counts[0] + 1,
        .envp = flags & PP_SPAWN_INHERIT_ENV ? environ : vec + counts[0] + counts[1] + 2,
        .cwd = cwd,
        .fds = child_fds,
        .nfds = nfds,
        .flags = flags & ~PP_SPAWN_INHERIT_ENV,
    };
    h->child.fd = -1;
    r = backend->spawn(&req, &h->child, &err);
    pp_stdio_close_child(spec, nfds, child_fds);
    if (r < 0) pp_stdio_close_parent(nfds, parent_fds);
  }
  free(block);
  free(cwd);
  free(vec);
  if (r < 0) {
    free(h);
    return addon_spawn_error(env, err.err, err.step);
  }

  h->env = env;
  h->js_alive = 1;
  r = addon_watch(env, h, argv[6]);
  if (r < 0) {
    /* The child runs but the loop cannot watch it: kill and reap it now. */
    pp_status st;
    backend->signal(&h->child, SIGKILL);
    backend->reap(&h->child, &st);
    pp_stdio_close_parent(nfds, parent_fds);
    h->done = 1;
    h->js_alive = 0;
    if (h->poll_open) {
      uv_close((uv_handle_t *)&h->poll, addon_poll_closed);
    } else {
      backend->release(&h->child);
      free(h);
    }
    return addon_spawn_error(env, r, PP_STEP_NONE);
  }
  napi_value handle;
  PP_NAPI_CALL(env, napi_create_array_with_length(env, (size_t)nfds + 2, &out));
  PP_NAPI_CALL(env, napi_create_external(env, h, addon_handle_collected, NULL, &handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 0, handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 1, addon_int(env, h->child.pid)));
  for (int i = 0; i < nfds; i++) {
    PP_NAPI_CALL(env, napi_set_element(env, out, (uint32_t)i + 2, addon_int(env, parent_fds[i])));
  }
  return out;
}

/* Shared by tryReap and reap: one argument, the handle. */
static napi_value addon_reap_common(napi_env env, napi_callback_info info, int block) {
  size_t argc = 1;
  napi_value argv[1];
  pp_status st;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  if (h->done) return addon_int(env, -ECHILD);
  int r = block ? h->child.backend->reap(&h->child, &st)
                : h->child.backend->try_reap(&h->child, &st);
  if (r != -EAGAIN) addon_finish(h);
  return addon_reap_result(env, r, &st);
}

static napi_value addon_try_reap(napi_env env, napi_callback_info info) {
  return addon_reap_common(env, info, 0);
}

static napi_value addon_reap(napi_env env, napi_callback_info info) {
  return addon_reap_common(env, info, 1);
}

/* signal(handle, signo) returns 0 or -errno; -ESRCH once reaped, without a system call. */
static napi_value addon_signal(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t sig = 0;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[1], &sig));
  if (h->done) return addon_int(env, -ESRCH);
  return addon_int(env, h->child.backend->signal(&h->child, sig));
}

/* ref(handle, on) keeps the loop alive for a running child, or not. */
static napi_value addon_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool on = true;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[1], &on));
  if (h->watching) {
    if (on) uv_ref((uv_handle_t *)&h->poll);
    else uv_unref((uv_handle_t *)&h->poll);
  }
  return NULL;
}

/* waitpid(pid, nohang): the host's waitpid; a status array, null or -errno. */
static napi_value addon_waitpid(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t pid = 0;
  bool nohang = false;
  pp_status st;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[0], &pid));
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[1], &nohang));
  int r = pp_host_waitpid(pid, nohang, &st);
  return addon_reap_result(env, r == 1 ? 0 : r == 0 ? -EAGAIN : r, &st);
}

/*
 * rawWaitpid(pid, nohang) is libc's waitpid, as a careless reaper calls it:
 * for the demo and the tests, which show what it cannot steal.
 */
static napi_value addon_raw_waitpid(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], arr;
  int32_t pid = 0;
  bool nohang = false;
  int wstatus = 0;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[0], &pid));
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[1], &nohang));
  int r = waitpid(pid, &wstatus, nohang ? WNOHANG : 0);
  if (r < 0) return addon_int(env, -errno);
  if (r == 0) return addon_reap_result(env, -EAGAIN, NULL);
  PP_NAPI_CALL(env, napi_create_array_with_length(env, 2, &arr));
  PP_NAPI_CALL(env, napi_set_element(env, arr, 0, addon_int(env, r)));
  PP_NAPI_CALL(env, napi_set_element(env, arr, 1, addon_int(env, wstatus)));
  return arr;
}

static napi_value addon_caps_object(napi_env env, const pp_caps *c) {
  napi_value o;
  const char *names[] = {"clone3",      "clonePidfd",    "pidfdOpen",  "pidfdSendSignal",
                         "waitidPidfd", "pidfdInfoExit", "closeRange", "clearSighand"};
  int values[] = {c->clone3,       c->clone_pidfd,     c->pidfd_open,  c->pidfd_send_signal,
                  c->waitid_pidfd, c->pidfd_info_exit, c->close_range, c->clear_sighand};
  PP_NAPI_CALL(env, napi_create_object(env, &o));
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    napi_value b;
    PP_NAPI_CALL(env, napi_get_boolean(env, values[i] != 0, &b));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, names[i], b));
  }
  return o;
}

/* capabilities() returns { backends: [{ key, name, available, reason, features }] }. */
static napi_value addon_capabilities(napi_env env, napi_callback_info info) {
  napi_value out, list;
  (void)info;
  PP_NAPI_CALL(env, napi_create_object(env, &out));
  PP_NAPI_CALL(env, napi_create_array_with_length(env, (size_t)pp_registry_count, &list));
  for (int i = 0; i < pp_registry_count; i++) {
    const pp_backend *b = pp_registry[i];
    pp_caps caps = {0};
    const char *reason = NULL;
    int r = b->probe(&caps, &reason);
    napi_value o, v;
    PP_NAPI_CALL(env, napi_create_object(env, &o));
    PP_NAPI_CALL(env, napi_create_string_utf8(env, b->key, NAPI_AUTO_LENGTH, &v));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "key", v));
    PP_NAPI_CALL(env, napi_create_string_utf8(env, b->name, NAPI_AUTO_LENGTH, &v));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "name", v));
    PP_NAPI_CALL(env, napi_get_boolean(env, r == 0, &v));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "available", v));
    if (reason != NULL) {
      PP_NAPI_CALL(env, napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &v));
      PP_NAPI_CALL(env, napi_set_named_property(env, o, "reason", v));
    }
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "features", addon_caps_object(env, &caps)));
    PP_NAPI_CALL(env, napi_set_element(env, list, (uint32_t)i, o));
  }
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "backends", list));
  return out;
}

/* backendName(handle) is the name of the backend that spawned the child. */
static napi_value addon_backend_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_create_string_utf8(env, h->child.backend->name, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value addon_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawn", NULL, addon_spawn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tryReap", NULL, addon_try_reap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reap", NULL, addon_reap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signal", NULL, addon_signal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, addon_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitpid", NULL, addon_waitpid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rawWaitpid", NULL, addon_raw_waitpid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"capabilities", NULL, addon_capabilities, NULL, NULL, NULL, napi_enumerable, NULL},
      {"backendName", NULL, addon_backend_name, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  addon_env *ae = calloc(1, sizeof(*ae));
  if (ae == NULL) {
    napi_throw_error(env, "ENOMEM", "private-process: out of memory");
    return NULL;
  }
  napi_value name;
  ae->env = env;
  PP_NAPI_CALL(env, napi_create_string_utf8(env, "PrivateProcess", NAPI_AUTO_LENGTH, &name));
  PP_NAPI_CALL(env, napi_async_init(env, NULL, name, &ae->async));
  PP_NAPI_CALL(env, napi_set_instance_data(env, ae, NULL, NULL));
  PP_NAPI_CALL(env, napi_add_env_cleanup_hook(env, addon_env_cleanup, ae));
  PP_NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, addon_init)
