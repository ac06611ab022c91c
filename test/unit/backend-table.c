/*
 * backend-table.c - checks, without Node, that every backend compiled in
 * fills its whole table, and that its probe answers. Prints one JSON line
 * per backend and exits 1 when a member is missing.
 */
#include <stdio.h>

#include "../../native/common/backend.h"

/* Reports each NULL member of one backend's table; returns how many. */
static int check(const pp_backend *b) {
  const struct {
    const char *name;
    const void *member;
  } members[] = {
      {"key", b->key},
      {"probe", (const void *)b->probe},
      {"spawn", (const void *)b->spawn},
      {"watch", (const void *)b->watch},
      {"try_reap", (const void *)b->try_reap},
      {"reap", (const void *)b->reap},
      {"signal", (const void *)b->signal},
      {"release", (const void *)b->release},
      {"adopt", (const void *)b->adopt},
  };
  int missing = 0;
  for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
    if (members[i].member == NULL) {
      fprintf(stderr, "backend %s: %s is NULL\n", b->key ? b->key : "?", members[i].name);
      missing++;
    }
  }
  return missing;
}

int main(void) {
  int missing = 0;
  for (int i = 0; i < pp_registry_count; i++) {
    const pp_backend *b = pp_registry[i];
    pp_caps caps = {0};
    const char *reason = NULL;
    missing += check(b);
    int r = b->probe(&caps, &reason);
    printf("{\"key\":\"%s\",\"probe\":%d}\n", b->key, r);
  }
  return missing == 0 ? 0 : 1;
}
