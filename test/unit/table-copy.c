/*
 * table-copy.c - one copy of the table code as a shared object, as each
 * copy of the addon carries it; test/unit/native-units.c loads two copies
 * (built with the same or with different PP_TABLE_ABI) privately.
 */
#include "../../native/common/table.h"

/* table_copy_table returns the table this copy uses. */
__attribute__((visibility("default"))) pp_table *table_copy_table(void) {
  return pp_table_get();
}

/* table_copy_conflict returns pp_table_conflict() of this copy. */
__attribute__((visibility("default"))) int table_copy_conflict(void) {
  return pp_table_conflict();
}
