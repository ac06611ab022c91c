/**
 * kill-options - the options of PrivateHandle.kill() and their check.
 */
import { checkBoolean, checkOptions, optionNames, refuseUnknown } from './check';

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

const known = optionNames<KillOptions>('kill', { group: true });

/** @internal checkKillOptions checks kill()'s options and returns `group`. */
export function checkKillOptions(options: unknown): boolean {
  const o = checkOptions(options);
  refuseUnknown(o, known);
  return checkBoolean('options.group', o.group);
}
