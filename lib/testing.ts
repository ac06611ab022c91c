/**
 * testing - hooks for the package's own tests, and nothing else.
 *
 * This module is compiled with the package but is not one of its exports
 * (package.json `exports` names only the entry points): users cannot
 * import it, and what it offers may change at any time.
 */
import { native } from './native';

/**
 * tableCount is the number of private children in the process-wide table:
 * spawned (or adopted), not yet reaped. A test that has waited for every
 * child it started expects 0; anything else is a child the package lost
 * track of.
 */
export function tableCount(): number {
  return native.tableCount();
}
