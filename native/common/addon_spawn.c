/*
 * addon_spawn.c - the spawn and adopt bindings: unpacking what JavaScript
 * prepared (strings, stdio slots, identity) into a pp_spawn_req.
 */
#include "addon.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "errno", pp_addon_int(env, err)));
  PP_NAPI_CALL(env, napi_set_named_property(env, out, "step", pp_addon_int(env, step)));
  return out;
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
 * Reads [uid, gid, umask, pdeathsig, ngroups, ...groups] (-1: unchanged)
 * into *c; the groups go to a malloc'd *gids the caller frees.
 */
static int addon_creds(napi_env env, napi_value arr, pp_creds *c, unsigned **gids) {
  uint32_t n = 0;
  int64_t v[5];
  napi_valuetype type;
  *c = (pp_creds){PP_UNCHANGED, PP_UNCHANGED, PP_UNCHANGED, NULL, PP_UNCHANGED, 0};
  *gids = NULL;
  if (napi_typeof(env, arr, &type) != napi_ok || type != napi_object) return 0;
  napi_get_array_length(env, arr, &n);
  if (n < 5 || n - 5 > PP_MAX_GROUPS) return -EINVAL;
  if (n > 5 && (*gids = malloc((n - 5) * sizeof(unsigned))) == NULL) return -ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int64_t x = -1;
    napi_get_element(env, arr, i, &e);
    napi_get_value_int64(env, e, &x);
    if (i < 5)
      v[i] = x;
    else
      (*gids)[i - 5] = (unsigned)x;
  }
  *c = (pp_creds){v[0], v[1], (int)v[4], *gids, (int)v[2], (int)v[3]};
  return 0;
}

/*
 * Reads the privs array and the cgroup path (the ninth and tenth arguments)
 * into *p, the path into a malloc'd *cgroup the caller frees: 0, 1 when
 * neither is given, -EINVAL when the array does not fit, or -ENOMEM.
 */
static int addon_spawn_privs(napi_env env, size_t argc, napi_value *argv, pp_privs *p,
                             char **cgroup) {
  napi_valuetype type = napi_undefined;
  int none = 1;
  *p = (pp_privs){0};
  *cgroup = NULL;
  if (argc >= 9 && (none = pp_addon_privs(env, argv[8], p)) < 0) return none;
  if (argc >= 10 && napi_typeof(env, argv[9], &type) == napi_ok && type == napi_string) {
    if ((*cgroup = addon_string(env, argv[9], NULL)) == NULL) return -ENOMEM;
    p->cgroup = *cgroup;
    none = 0;
  }
  return none;
}

/*
 * spawn(backend, block, counts, cwd, stdio, flags, onExit, creds, privs, cgroup) starts a
 * child; returns [handle, pid, ...parent fds] or { errno, step }.
 */
napi_value pp_addon_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10], out;
  char *cgroup = NULL;
  unsigned *gids = NULL;
  pp_creds creds;
  pp_privs privs;
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
  if (addon_creds(env, argv[7], &creds, &gids) < 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "too many supplementary groups");
    return NULL;
  }
  int no_privs = addon_spawn_privs(env, argc, argv, &privs, &cgroup);
  if (no_privs < 0) {
    free(gids);
    if (no_privs == -ENOMEM) return addon_spawn_error(env, -ENOMEM, PP_STEP_NONE);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "too many resource limits or CPUs");
    return NULL;
  }

  char *block = addon_string(env, argv[1], &len);
  char *cwd = NULL;
  PP_NAPI_CALL(env, napi_typeof(env, argv[3], &cwd_type));
  if (cwd_type == napi_string) cwd = addon_string(env, argv[3], NULL);
  char **vec = block != NULL ? addon_split(block, len, counts) : NULL;
  pp_handle *h = calloc(1, sizeof(*h));
  int r = vec == NULL || h == NULL || (cwd_type == napi_string && cwd == NULL) ? -ENOMEM : 0;
  pp_spawn_error err = {r, PP_STEP_NONE};
  if (r == 0) r = err.err = pp_addon_prepare_watch(env, backend);
  if (r == 0 && (r = err.err = pp_stdio_open(spec, nfds, child_fds, parent_fds)) < 0)
    err.step = PP_STEP_STDIO;
  if (r == 0) {
    pp_spawn_req req = {
        .candidates = (const char *const *)vec,
        .argv = vec + counts[0] + 1,
        .envp = flags & PP_SPAWN_INHERIT_ENV ? environ : vec + counts[0] + counts[1] + 2,
        .cwd = cwd,
        .fds = child_fds,
        .nfds = nfds,
        .flags = flags & ~PP_SPAWN_INHERIT_ENV,
        .creds = creds,
        .privs = no_privs ? NULL : &privs,
    };
    h->child.fd = h->child.aux_fd = -1;
    r = backend->spawn(&req, &h->child, &err);
    pp_stdio_close_child(spec, nfds, child_fds);
    if (r < 0) pp_stdio_close_parent(nfds, parent_fds);
  }
  free(block);
  free(cwd);
  free(cgroup);
  free(vec);
  free(gids);
  if (r < 0) {
    free(h);
    return addon_spawn_error(env, err.err, err.step);
  }

  h->env = env;
  h->js_alive = 1;
  r = pp_addon_watch(env, h, argv[6]);
  if (r < 0) {
    /* The child runs but the loop cannot watch it: kill and reap it now. */
    pp_status st;
    backend->signal(&h->child, SIGKILL, 0);
    backend->reap(&h->child, &st);
    pp_stdio_close_parent(nfds, parent_fds);
    h->done = 1;
    h->js_alive = 0;
    if (h->poll_open) {
      uv_close((uv_handle_t *)&h->poll, pp_addon_poll_closed);
    } else {
      backend->release(&h->child);
      free(h);
    }
    return addon_spawn_error(env, r, PP_STEP_NONE);
  }
  napi_value handle;
  PP_NAPI_CALL(env, napi_create_array_with_length(env, (size_t)nfds + 2, &out));
  PP_NAPI_CALL(env, napi_create_external(env, h, pp_addon_handle_collected, NULL, &handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 0, handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 1, pp_addon_int(env, h->child.pid)));
  for (int i = 0; i < nfds; i++) {
    PP_NAPI_CALL(env,
                 napi_set_element(env, out, (uint32_t)i + 2, pp_addon_int(env, parent_fds[i])));
  }
  return out;
}

/*
 * adopt(backend, pid, watch, onExit) makes a private handle of an existing
 * child: [handle, pid], or -errno. With watch false the event loop does not
 * reap it (child_process does) and the handle ends with release().
 */
napi_value pp_addon_adopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], out, handle;
  char key[32] = "";
  int32_t pid = 0;
  bool watch = true;
  const char *reason = NULL;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_string_utf8(env, argv[0], key, sizeof(key), NULL));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[1], &pid));
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[2], &watch));
  const pp_backend *backend = pp_backend_select(key, &reason);
  if (backend == NULL) return pp_addon_int(env, -ENOSYS);
  pp_handle *h = calloc(1, sizeof(*h));
  if (h == NULL) return pp_addon_int(env, -ENOMEM);
  h->child.fd = h->child.aux_fd = -1;
  /* Unwatched means a ChildProcess: libuv reaps it, by pid, and must be let. */
  h->child.owner = watch ? PP_OWNER_HANDLE : PP_OWNER_LIBUV;
  int r = backend->adopt(pid, &h->child);
  if (r == 0 && watch) {
    h->env = env;
    r = pp_addon_watch(env, h, argv[3]);
    if (r < 0) {
      /* Not watched after all: leave the child as it was, unadopted. */
      if (h->poll_open) {
        uv_close((uv_handle_t *)&h->poll, pp_addon_poll_closed);
      } else {
        backend->release(&h->child);
        free(h);
      }
      return pp_addon_int(env, r);
    }
  }
  if (r < 0) {
    free(h);
    return pp_addon_int(env, r);
  }
  h->env = env;
  h->js_alive = 1;
  PP_NAPI_CALL(env, napi_create_array_with_length(env, 2, &out));
  PP_NAPI_CALL(env, napi_create_external(env, h, pp_addon_handle_collected, NULL, &handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 0, handle));
  PP_NAPI_CALL(env, napi_set_element(env, out, 1, pp_addon_int(env, pid)));
  return out;
}
