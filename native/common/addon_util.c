/*
 * addon_util.c - the small helpers every file of the Node-API glue uses:
 * throwing a failed call's error, making numbers and reap results, and
 * finding the environment's state and a handle. It calls no other file of
 * the glue, so that each of them can call it.
 */
#include "addon.h"

/* pp_addon_throw_status throws the error of a failed Node-API call, unless one is pending. */
void pp_addon_throw_status(napi_env env, napi_status status, const char *call) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  (void)status;
  napi_throw_error(env, "ERR_PRIVATE_PROCESS_NAPI",
                   info != NULL && info->error_message != NULL ? info->error_message : call);
}

/* pp_addon_int makes a JS number. */
napi_value pp_addon_int(napi_env env, int64_t v) {
  napi_value out = NULL;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value addon_status_array(napi_env env, const pp_status *st) {
  int64_t v[7] = {st->pid,      st->code,     st->status,   st->has_rusage,
                  st->utime_us, st->stime_us, st->maxrss_kb};
  napi_value arr = NULL;
  napi_create_array_with_length(env, 7, &arr);
  for (uint32_t i = 0; i < 7; i++) napi_set_element(env, arr, i, pp_addon_int(env, v[i]));
  return arr;
}

/* pp_addon_reap_result is a reap as JS sees it: a status array, null (running), or -errno. */
napi_value pp_addon_reap_result(napi_env env, int r, const pp_status *st) {
  napi_value out = NULL;
  if (r == 0) return addon_status_array(env, st);
  if (r == -EAGAIN) {
    napi_get_null(env, &out);
    return out;
  }
  return pp_addon_int(env, r);
}

/* pp_addon_env_of returns the environment's state. */
addon_env *pp_addon_env_of(napi_env env) {
  addon_env *ae = NULL;
  napi_get_instance_data(env, (void **)&ae);
  return ae;
}

/* pp_addon_get_handle reads a handle from its JS external, or throws. */
pp_handle *pp_addon_get_handle(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a private-process handle");
    return NULL;
  }
  return data;
}
