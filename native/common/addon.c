/*
 * addon.c - the module: its init, and the bindings that need no handle
 * (the host's waitpid, capabilities, the shim's state).
 */
#include "addon.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>

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
  return pp_addon_reap_result(env, r == 1 ? 0 : r == 0 ? -EAGAIN : r, &st);
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
  if (r < 0) return pp_addon_int(env, -errno);
  if (r == 0) return pp_addon_reap_result(env, -EAGAIN, NULL);
  PP_NAPI_CALL(env, napi_create_array_with_length(env, 2, &arr));
  PP_NAPI_CALL(env, napi_set_element(env, arr, 0, pp_addon_int(env, r)));
  PP_NAPI_CALL(env, napi_set_element(env, arr, 1, pp_addon_int(env, wstatus)));
  return arr;
}

static napi_value addon_caps_object(napi_env env, const pp_caps *c) {
  napi_value o;
  const char *names[] = {"clone3",           "clonePidfd",    "pidfdOpen",  "pidfdSendSignal",
                         "waitidPidfd",      "pidfdInfoExit", "closeRange", "clearSighand",
                         "pidfdSignalGroup", "hidden",        "direct",     "guardInstall"};
  int values[] = {
      c->clone3,          c->clone_pidfd,  c->pidfd_open,    c->pidfd_send_signal,  c->waitid_pidfd,
      c->pidfd_info_exit, c->close_range,  c->clear_sighand, c->pidfd_signal_group, c->hidden,
      c->direct,          c->guard_install};
  PP_NAPI_CALL(env, napi_create_object(env, &o));
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    napi_value b;
    PP_NAPI_CALL(env, napi_get_boolean(env, values[i] != 0, &b));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, names[i], b));
  }
  return o;
}

/* Sets o[name] to the string s, when there is one. */
static napi_value addon_set_string(napi_env env, napi_value o, const char *name, const char *s) {
  napi_value v;
  if (s == NULL) return o;
  PP_NAPI_CALL(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v));
  PP_NAPI_CALL(env, napi_set_named_property(env, o, name, v));
  return o;
}

/*
 * capabilities() returns { backends: [{ key, available, reason, hiddenMissing,
 * directMissing, features }], tableConflict }.
 */
static napi_value addon_capabilities(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, list;
  char only[32] = "";
  napi_valuetype type = napi_undefined;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) PP_NAPI_CALL(env, napi_typeof(env, argv[0], &type));
  if (type == napi_string)
    PP_NAPI_CALL(env, napi_get_value_string_utf8(env, argv[0], only, sizeof(only), NULL));
  PP_NAPI_CALL(env, napi_create_object(env, &out));
  PP_NAPI_CALL(env, napi_create_array_with_length(env, (size_t)pp_registry_count, &list));
  for (int i = 0; i < pp_registry_count; i++) {
    const pp_backend *b = pp_registry[i];
    pp_caps caps = {0};
    const char *reason =
        "not probed: the environment chose another backend (PRIVATE_PROCESS_BACKEND)";
    /* A backend the environment rules out is not even probed (probing can misbehave: valgrind). */
    int chosen = only[0] == '\0' || strcmp(only, "auto") == 0 || strcmp(only, b->key) == 0;
    int r = chosen ? b->probe(&caps, &reason) : -ENOSYS;
    napi_value o, v;
    PP_NAPI_CALL(env, napi_create_object(env, &o));
    if (addon_set_string(env, o, "key", b->key) == NULL) return NULL;
    PP_NAPI_CALL(env, napi_get_boolean(env, r == 0, &v));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "available", v));
    if (addon_set_string(env, o, "reason", reason) == NULL) return NULL;
    PP_NAPI_CALL(env, napi_get_boolean(env, caps.transient != 0, &v));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "transient", v));
    if (addon_set_string(env, o, "hiddenMissing", caps.hidden_missing) == NULL) return NULL;
    if (addon_set_string(env, o, "directMissing", caps.direct_missing) == NULL) return NULL;
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "features", addon_caps_object(env, &caps)));
    PP_NAPI_CALL(env, napi_set_named_property(env, o, "childDescriptors",
                                              pp_addon_int(env, caps.child_fds)));
    PP_NAPI_CALL(env, napi_set_element(env, list, (uint32_t)i, o));
  }
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "backends", list));
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "tableConflict",
                                            pp_addon_int(env, pp_table_conflict())));
  return out;
}

/* shimActive() is true when the preload shim is loaded in this process. */
static napi_value addon_shim_active(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  PP_NAPI_CALL(env, napi_get_boolean(env, pp_shim_loaded(), &out));
  return out;
}

/* backendName(handle) is the key of the backend that spawned the child. */
static napi_value addon_backend_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_create_string_utf8(env, h->child.backend->key, NAPI_AUTO_LENGTH, &out));
  return out;
}

/*
 * tableCount() is the number of unreaped private children in the table: a
 * test-only binding, reached through lib/testing.ts, which the package does
 * not export.
 */
static napi_value addon_table_count(napi_env env, napi_callback_info info) {
  pp_sigmask saved;
  (void)info;
  pp_table_lock(&saved);
  int count = pp_table_count_locked();
  pp_table_unlock(&saved);
  return pp_addon_int(env, count);
}

/*
 * passwd(uid) is [name, home, shell] of uid's passwd entry, or null when
 * there is none (or the database cannot be read): the login environment a
 * new identity gets, looked up here before the spawn, never in the child.
 */
static napi_value addon_passwd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out = NULL, field;
  uint32_t uid = 0;
  struct passwd pw, *found = NULL;
  char *buf = NULL;
  int r = ERANGE;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_uint32(env, argv[0], &uid));
  for (size_t size = 1024; r == ERANGE && size <= (1 << 20); size *= 4) {
    free(buf);
    if ((buf = malloc(size)) == NULL) break;
    r = getpwuid_r((uid_t)uid, &pw, buf, size, &found);
  }
  if (buf != NULL && r == 0 && found != NULL) {
    const char *fields[] = {pw.pw_name, pw.pw_dir, pw.pw_shell};
    napi_create_array_with_length(env, 3, &out);
    for (uint32_t i = 0; i < 3; i++) {
      napi_create_string_utf8(env, fields[i] != NULL ? fields[i] : "", NAPI_AUTO_LENGTH, &field);
      napi_set_element(env, out, i, field);
    }
  }
  free(buf);
  if (out == NULL) napi_get_null(env, &out);
  return out;
}

static napi_value addon_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawn", NULL, pp_addon_spawn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tryReap", NULL, pp_addon_try_reap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reap", NULL, pp_addon_reap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signal", NULL, pp_addon_signal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, pp_addon_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitpid", NULL, addon_waitpid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rawWaitpid", NULL, addon_raw_waitpid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"capabilities", NULL, addon_capabilities, NULL, NULL, NULL, napi_enumerable, NULL},
      {"backendName", NULL, addon_backend_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adopt", NULL, pp_addon_adopt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shimActive", NULL, addon_shim_active, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, pp_addon_release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pumpSync", NULL, pp_addon_pump_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readStart", NULL, pp_addon_read_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readControl", NULL, pp_addon_read_control, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tableCount", NULL, addon_table_count, NULL, NULL, NULL, napi_enumerable, NULL},
      {"passwd", NULL, addon_passwd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  /* The table is found now, on this thread, never first in a signal handler. */
  pp_table_get();
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
  PP_NAPI_CALL(env, napi_add_env_cleanup_hook(env, pp_addon_env_cleanup, ae));
  PP_NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, addon_init)
