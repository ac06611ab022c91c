/**
 * handle-types - the types a PrivateHandle is used with: kill()'s options,
 * and the handle's streams as the `stdio` option makes them.
 */
import type { Readable, Writable } from 'node:stream';
import { checkBoolean, checkOptions } from './check';
import type { PrivateHandle } from './handle';
import type { StdioOption } from './options';

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

/**
 * PrivateHandleWithoutNullStreams is a handle whose fds 0, 1 and 2 are all
 * pipes (stdio 'pipe', the default), as ChildProcessWithoutNullStreams.
 */
export type PrivateHandleWithoutNullStreams = PrivateHandle<Writable, Readable, Readable>;

/** A slot that gives the handle a stream: 'pipe', or nothing said (fds 0–2 default to 'pipe'). */
type PipeSlot = 'pipe' | null | undefined;
type SlotStream<Slot, T> = Slot extends PipeSlot ? T : null;
type SlotOf<S, I extends number> = S extends undefined | 'pipe'
  ? 'pipe'
  : S extends readonly unknown[]
    ? S[I]
    : S extends PipeSlot
      ? S
      : 'other';

/**
 * PrivateHandleFor is the handle that a `stdio` option S gives: a stream for
 * each of fds 0, 1 and 2 that is a pipe, null for the others.
 */
export type PrivateHandleFor<S extends StdioOption | undefined> = PrivateHandle<
  SlotStream<SlotOf<S, 0>, Writable>,
  SlotStream<SlotOf<S, 1>, Readable>,
  SlotStream<SlotOf<S, 2>, Readable>
>;

/** @internal checkKillOptions checks kill()'s options and returns `group`. */
export function checkKillOptions(options: unknown): boolean {
  return checkBoolean('options.group', checkOptions(options).group);
}
