/**
 * reader - a child's output pipe read on the event loop by the addon,
 * without a Node stream: what runPrivate captures when nothing streams it.
 *
 * A net.Socket per pipe costs more than the rest of a short run (its
 * handle, stream state, and a loop turn to close): a PipeReader hands over
 * the chunks the addon reads, then 'close'. It is what Capture reads; a
 * user who asks for the subprocess's stdout gets a stream that Capture
 * feeds (its tee), as before.
 */
import { EventEmitter } from 'node:events';
import { systemError } from './errors';
import { native, type NativeReader } from './native';

const PAUSE = 0;
const RESUME = 1;
const CLOSE = 2;

/**
 * CaptureSource is what Capture reads: a Readable, or a PipeReader. It
 * emits 'data' with Buffers, 'error', then 'close' once; pause() and
 * resume() hold and restart the reading; destroy() stops it for good.
 */
export interface CaptureSource {
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'close', listener: () => void): this;
  pause(): this;
  resume(): this;
  destroy(): this;
}

/** PipeReader reads one pipe descriptor, which it owns, through the addon. */
export class PipeReader extends EventEmitter implements CaptureSource {
  #reader: NativeReader | null;

  /** @internal Use readPipe, which falls back to a stream where the addon cannot poll the pipe. */
  constructor(reader: NativeReader) {
    super();
    this.#reader = reader;
  }

  /** Called by the addon: a chunk, null at the end of the pipe, or -errno; `ended` for a chunk that was the last. */
  onRead(chunk: Buffer | null | number, ended: boolean): void {
    if (chunk !== null && typeof chunk !== 'number') {
      this.emit('data', chunk);
      if (!ended || this.#reader === null) return; // destroy() from a 'data' listener has its own 'close'
    }
    this.#reader = null; // the addon has closed it
    if (typeof chunk === 'number') this.emit('error', systemError('read', chunk));
    this.emit('close');
  }

  /** pause stops reading until resume(); the child blocks once the pipe is full. */
  pause(): this {
    if (this.#reader !== null) native.readControl(this.#reader, PAUSE);
    return this;
  }

  /** resume reads again after pause(). */
  resume(): this {
    if (this.#reader !== null) native.readControl(this.#reader, RESUME);
    return this;
  }

  /** destroy closes the pipe now, dropping what it still holds; 'close' follows on a later tick. */
  destroy(): this {
    if (this.#reader === null) return this;
    native.readControl(this.#reader, CLOSE);
    this.#reader = null;
    process.nextTick(() => this.emit('close'));
    return this;
  }
}

/**
 * readPipe reads the parent's end of an output pipe: a PipeReader, or,
 * when the loop refuses to poll it, the stream `fallback` makes of it.
 */
export function readPipe(fd: number, fallback: () => CaptureSource): CaptureSource {
  let reader: PipeReader | null = null;
  const r = native.readStart(fd, (chunk, ended) => reader!.onRead(chunk, ended));
  if (typeof r === 'number') return fallback();
  reader = new PipeReader(r);
  return reader;
}
