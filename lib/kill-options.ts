/**
 * kill-options - the options of PrivateHandle.kill() and their check.
 */
import { invalidArgType } from './errors';

/** KillOptions are the options of PrivateHandle.kill(). */
export interface KillOptions {
  /**
   * group signals the child's whole process group instead of the child
   * alone. It needs a child started with `detached: true` (the group is the
   * child's own, its id the child's pid), and reaches the group only while
   * the child is unreaped, so never a recycled group id.
   */
  group?: boolean;
}

/** @internal checkKillOptions checks kill()'s options and returns `group`. */
export function checkKillOptions(options: unknown): boolean {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object') throw invalidArgType('options', 'Object', options);
  const group = (options as KillOptions).group;
  if (group === undefined) return false;
  if (typeof group !== 'boolean') throw invalidArgType('options.group', 'boolean', group);
  return group;
}
