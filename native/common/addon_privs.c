/*
 * addon_privs.c - unpacking the least-privilege settings that lib/privs.ts
 * prepared into a pp_privs.
 */
#include "addon.h"

/*
 * pp_addon_privs reads [flags, ambient, bounding, nice, nrlimits, (resource, soft, hard)...,
 * cpu...] (-1: unlimited) into *p; 0, 1 when there is none (not an array),
 * or -EINVAL when it does not fit.
 */
int pp_addon_privs(napi_env env, napi_value arr, pp_privs *p) {
  uint32_t n = 0;
  int64_t v[5] = {0};
  bool is_array = false;
  *p = (pp_privs){0};
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) return 1;
  napi_get_array_length(env, arr, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int64_t x = 0;
    napi_get_element(env, arr, i, &e);
    napi_get_value_int64(env, e, &x);
    uint32_t rl = i < 5 ? 0 : (i - 5) / 3;
    if (i < 5) {
      v[i] = x;
    } else if (rl < (uint64_t)v[4]) {
      if (rl >= PP_MAX_RLIMITS) return -EINVAL;
      uint64_t *field[] = {NULL, &p->rlimits[rl].soft, &p->rlimits[rl].hard};
      if ((i - 5) % 3 == 0)
        p->rlimits[rl].resource = (int)x;
      else
        *field[(i - 5) % 3] = (uint64_t)x;
    } else if (x >= 0 && x < PP_MAX_CPUS) {
      const unsigned bits = 8 * sizeof(unsigned long);
      p->cpus[x / bits] |= 1UL << (x % bits);
    } else {
      return -EINVAL;
    }
  }
  if (n < 5 || v[4] < 0 || v[4] > PP_MAX_RLIMITS || n < 5 + 3 * (uint64_t)v[4]) return -EINVAL;
  p->flags = (int)v[0];
  p->ambient = (uint64_t)v[1];
  p->bounding = (uint64_t)v[2];
  p->nice = (int)v[3];
  p->nrlimits = (int)v[4];
  return 0;
}
