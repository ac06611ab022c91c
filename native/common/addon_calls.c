/*
 * addon_calls.c - the bindings that act on one handle at JavaScript's
 * call: release, the synchronous reaps, signals and refs. The loop's side
 * of a handle is addon_handle.c's.
 */
#include "addon.h"

/* release(handle) ends an unwatched handle: its descriptor is closed. */
napi_value pp_addon_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  if (!h->poll_open && !h->done) {
    h->done = 1;
    h->child.backend->release(&h->child);
  }
  return NULL;
}

/* Shared by tryReap and reap: one argument, the handle. */
static napi_value addon_reap_common(napi_env env, napi_callback_info info, int block) {
  size_t argc = 1;
  napi_value argv[1];
  pp_status st;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  /*
   * Reaped by the loop with others and not yet delivered (the code resumed
   * by an earlier delivery of the same pass may ask): the status it holds.
   */
  if (h->done)
    return h->collected ? pp_addon_reap_result(env, h->result, &h->st) : pp_addon_int(env, -ECHILD);
  int r =
      block ? h->child.backend->reap(&h->child, &st) : h->child.backend->try_reap(&h->child, &st);
  if (r != -EAGAIN) pp_addon_finish(h);
  return pp_addon_reap_result(env, r, &st);
}

/* tryReap(handle) reaps the child if it has exited: a status array, null or -errno. */
napi_value pp_addon_try_reap(napi_env env, napi_callback_info info) {
  return addon_reap_common(env, info, 0);
}

/* reap(handle) waits for the child to exit and reaps it: a status array or -errno. */
napi_value pp_addon_reap(napi_env env, napi_callback_info info) {
  return addon_reap_common(env, info, 1);
}

/*
 * signal(handle, signo, group) returns 0 or -errno; -ESRCH once reaped,
 * without a system call. With group true it signals the child's process
 * group (a detached child leads its own).
 */
napi_value pp_addon_signal(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sig = 0;
  bool group = false;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[1], &sig));
  if (argc > 2) PP_NAPI_CALL(env, napi_get_value_bool(env, argv[2], &group));
  if (h->done) return pp_addon_int(env, -ESRCH);
  return pp_addon_int(env, h->child.backend->signal(&h->child, sig, group ? PP_SIGNAL_GROUP : 0));
}

/* ref(handle, on) keeps the loop alive for a running child, or not. */
napi_value pp_addon_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool on = true;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[1], &on));
  if (h->watching && h->kind == PP_WATCH_FD) {
    if (on)
      uv_ref((uv_handle_t *)&h->poll);
    else
      uv_unref((uv_handle_t *)&h->poll);
  } else if (h->watching) {
    pp_addon_sigchld_ref(pp_addon_env_of(env), h, on);
  }
  return NULL;
}
