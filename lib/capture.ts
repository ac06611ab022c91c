/**
 * capture - reading one output stream of a child into a run's Output, up
 * to maxBuffer bytes.
 */
import type { Readable } from 'node:stream';
import type { Output, OutputName } from './output';

/** CaptureEvents are what a Capture reports to the run that owns it. */
export interface CaptureEvents {
  /** overflow is called once, when the stream has given more than the limit. */
  overflow(): void;
  /** error is called when reading the stream fails. */
  error(err: Error): void;
  /** closed is called once the stream is closed: ended, or destroyed. */
  closed(): void;
}

/**
 * Capture reads a stream to its close into `output`. It keeps reading, and
 * dropping, after an overflow: a pipe closed under a child that is being
 * killed would make it die of SIGPIPE, not of the signal it was sent.
 */
export class Capture {
  #stream: Readable | null;
  #overflowed = false;
  #closed: boolean;

  /** A null stream (a slot that is not 'pipe') captures nothing and is closed from the start. */
  constructor(stream: Readable | null, name: OutputName, output: Output, events: CaptureEvents) {
    this.#stream = stream;
    this.#closed = stream === null;
    if (stream === null) return;
    stream.on('data', (chunk: Buffer) => {
      if (this.#overflowed || output.push(name, chunk)) return;
      this.#overflowed = true;
      events.overflow();
    });
    stream.on('error', (err: Error) => events.error(err));
    stream.once('close', () => {
      this.#closed = true;
      events.closed();
    });
  }

  /** closed is true once the stream has closed (or there is none). */
  get closed(): boolean {
    return this.#closed;
  }

  /** destroy stops reading: for when a descendant of a stopped child holds the pipe open. */
  destroy(): void {
    this.#stream?.destroy();
  }
}
