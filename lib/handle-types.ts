/**
 * handle-types - the handle types that the `stdio` option makes: which of
 * fds 0, 1 and 2 are streams and which are null.
 */
import type { Readable, Writable } from 'node:stream';
import type { PrivateHandle } from './handle';
import type { StdioOption } from './options';

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
