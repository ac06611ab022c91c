/**
 * capture - reading one output stream of a child into a run's Output, up
 * to maxBuffer bytes.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Output, OutputName } from './output';
import type { CaptureSource } from './reader';

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
  #stream: CaptureSource | null;
  #name: OutputName;
  #output: Output;
  #overflowed = false;
  #closed: boolean;
  #taps: Writable[] = [];
  #paced = new Set<Writable>();
  #waiting = new Set<Writable>();
  #tee: Readable | null = null;

  /**
   * A null stream (a slot that is not 'pipe') captures nothing and is closed
   * from the start; else it is a Readable or the addon's PipeReader.
   */
  constructor(stream: CaptureSource | null, name: OutputName, output: Output, events: CaptureEvents) {
    this.#stream = stream;
    this.#name = name;
    this.#output = output;
    this.#closed = stream === null;
    if (stream === null) return;
    stream.on('data', (chunk: Buffer) => {
      for (const t of this.#taps) this.#write(t, chunk);
      if (this.#overflowed || output.push(name, chunk)) return;
      this.#overflowed = true;
      events.overflow();
    });
    stream.on('error', (err: Error) => events.error(err));
    stream.once('close', () => {
      this.#closed = true;
      for (const t of this.#taps.splice(0)) if (t.writable) t.end();
      events.closed();
    });
  }

  /** piped is true when the stream is a pipe from the child (its slot is 'pipe'). */
  get piped(): boolean {
    return this.#stream !== null;
  }

  /**
   * tap writes to `to` what has been captured so far, then every chunk read
   * from now on, and ends it once the stream has closed: the run's own copy
   * is unchanged, whatever `to` does. A `paced` tap that is full pauses the
   * reading until it has drained or closed, so that a slow reader slows the
   * child as a shell's pipe does; any other is written without waiting (the
   * capture holds as much anyway, up to maxBuffer).
   */
  tap(to: Writable, paced = false): void {
    if (paced) this.#paced.add(to);
    const sofar = this.#output.bytes(this.#name);
    if (sofar.length > 0) this.#write(to, sofar);
    if (this.#closed) to.end();
    else this.#taps.push(to);
  }

  #write(to: Writable, chunk: Buffer): void {
    if (to.writable && !to.write(chunk) && this.#paced.has(to)) this.#wait(to);
  }

  /** Pauses the reading until `to` has drained or closed, and every other paced tap too. */
  #wait(to: Writable): void {
    if (this.#waiting.has(to)) return;
    this.#waiting.add(to);
    this.#stream?.pause();
    const go = (): void => {
      to.off('drain', go);
      to.off('close', go);
      this.#waiting.delete(to);
      if (this.#waiting.size === 0) this.#stream?.resume();
    };
    to.on('drain', go);
    to.on('close', go);
  }

  /**
   * tee is a Readable of the whole stream, from its first byte (see tap),
   * made on the first call, the same one on every later call; null when the
   * slot is not a pipe.
   */
  tee(): Readable | null {
    if (!this.piped || this.#tee !== null) return this.#tee;
    const copy = new PassThrough();
    this.tap(copy);
    this.#tee = copy;
    return copy;
  }

  /** readers counts the paced taps not yet destroyed: the destinations still reading. */
  get readers(): number {
    return [...this.#paced].filter((t) => !t.destroyed).length;
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
