/*
 * registry.c - the backends compiled in, in order of preference.
 */
#include <stddef.h>
#include <string.h>

#include "backend.h"

const pp_backend *const pp_registry[] = {
#ifdef PP_HAVE_LINUX
    &pp_linux_backend,
#endif
#ifdef PP_HAVE_FREEBSD
    &pp_freebsd_backend,
#endif
    &pp_fallback_backend,
    NULL,
};

const int pp_registry_count = (int)(sizeof(pp_registry) / sizeof(pp_registry[0])) - 1;

const pp_backend *pp_backend_find(const char *key) {
  for (int i = 0; i < pp_registry_count; i++) {
    if (strcmp(pp_registry[i]->key, key) == 0) return pp_registry[i];
  }
  return NULL;
}

const pp_backend *pp_backend_select(const char *key, const char **reason) {
  pp_caps caps;
  int want_any = strcmp(key, "auto") == 0;
  *reason = "no backend is compiled in for this platform";
  for (int i = 0; i < pp_registry_count; i++) {
    const pp_backend *b = pp_registry[i];
    if (!want_any && strcmp(b->key, key) != 0) continue;
    if (b->probe(&caps, reason) == 0) return b;
    if (!want_any) return NULL;
  }
  if (!want_any && pp_backend_find(key) == NULL) *reason = "this backend is not compiled in here";
  return NULL;
}
