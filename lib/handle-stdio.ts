/**
 * handle-stdio - the stdio streams of a PrivateHandle, and how they end.
 *
 * As child_process ends its own: once the child has exited, an output
 * stream nobody reads is drained (read and dropped) so that it reaches its
 * end and closes, and once every output stream has closed, the parent's end
 * of stdin is destroyed, so that no descriptor outlives the child.
 */
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** StdioStreams are the streams of fds 0, 1, 2 and up, null where a slot is not a pipe. */
export type StdioStreams = Array<Readable | Writable | null>;

/**
 * makeStreams wraps the parent's ends of the stdio slots in Node streams:
 * -1 where a slot is not a pipe gives null; the portable backend hands over
 * child_process's own streams, kept as they are.
 */
export function makeStreams(fds: Array<number | Readable | Writable | null>): StdioStreams {
  return fds.map((fd, i) => {
    if (typeof fd !== 'number') return fd;
    if (fd < 0) return null;
    // fd 0 is the child's input: we write. 1 and 2 are its output: we read.
    // Higher slots are socket pairs, both ways.
    return new net.Socket({ fd, readable: i !== 0, writable: i !== 1 && i !== 2 });
  });
}

/**
 * HandleStdio follows the output streams of one handle (fd 1, 2 and the
 * socket pairs above) to their close, and ends stdin.
 */
export class HandleStdio {
  /** streams are the streams of every fd, null where it is not a pipe. */
  readonly streams: StdioStreams;
  #open = 0;

  /** onOutputClosed is called each time an output stream closes. */
  constructor(streams: StdioStreams, onOutputClosed: () => void) {
    this.streams = streams;
    streams.forEach((s, i) => {
      if (s === null || i === 0) return;
      this.#open++;
      s.once('close', () => {
        this.#open--;
        onOutputClosed();
      });
    });
  }

  /** outputClosed is true once every output stream has closed (or there is none). */
  get outputClosed(): boolean {
    return this.#open === 0;
  }

  /**
   * drainUnread makes every output stream that nobody has started to read
   * (no 'data' or 'readable' listener, no pipe(), no pause()) flow, dropping
   * what it reads, so that it ends and closes once the child and its
   * descendants have let go of the pipe.
   */
  drainUnread(): void {
    this.streams.forEach((s, i) => {
      const output = s as Readable | null;
      if (i !== 0 && output !== null && output.readableFlowing === null && !output.destroyed) output.resume();
    });
  }

  /** endInput destroys the parent's end of stdin: writes fail with ERR_STREAM_DESTROYED after it. */
  endInput(): void {
    this.streams[0]?.destroy();
  }

  /** destroy destroys every stream now. */
  destroy(): void {
    for (const s of this.streams) s?.destroy();
  }
}
