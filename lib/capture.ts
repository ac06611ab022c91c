/**
 * capture - collecting one output stream of a child for runPrivate, up to
 * maxBuffer bytes.
 */
import type { Readable } from 'node:stream';

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
 * Capture reads a stream to its close, keeping its first `limit` bytes. It
 * keeps reading, and dropping, after an overflow: a pipe closed under a
 * child that is being killed would make it die of SIGPIPE, not of the
 * signal it was sent.
 */
export class Capture {
  #stream: Readable | null;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #limit: number;
  #overflowed = false;
  #closed: boolean;

  /** A null stream (a slot that is not 'pipe') captures nothing and is closed from the start. */
  constructor(stream: Readable | null, limit: number, events: CaptureEvents) {
    this.#stream = stream;
    this.#limit = limit;
    this.#closed = stream === null;
    if (stream === null) return;
    stream.on('data', (chunk: Buffer) => {
      if (this.#overflowed) return;
      if (this.#bytes + chunk.length <= this.#limit) {
        this.#chunks.push(chunk);
        this.#bytes += chunk.length;
        return;
      }
      this.#chunks.push(chunk.subarray(0, this.#limit - this.#bytes));
      this.#bytes = this.#limit;
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

  /** result is what was kept, decoded with `encoding`, or a Buffer for null. */
  result(encoding: BufferEncoding | null): string | Buffer {
    const all = Buffer.concat(this.#chunks, this.#bytes);
    return encoding === null ? all : all.toString(encoding);
  }
}
