/**
 * handover - what becomes of a Node stream given to a child as a stdio slot.
 *
 * The child gets a copy of the stream's descriptor, which it makes blocking
 * before exec; the flag belongs to the open file description, so it is
 * blocking here too from then on. As child_process does, this process then
 * stops reading the stream: otherwise it would race the child for the same
 * bytes, and its event loop could read a descriptor that no longer says
 * EAGAIN, which stops the whole loop until more bytes come.
 */
import type { Readable, Stream } from 'node:stream';

/** What a net.Socket, a TTY or a pipe stream reads through: libuv's stream handle. */
interface StreamHandle {
  reading?: boolean;
  readStop?: () => number;
}

function isStream(slot: unknown): slot is Stream {
  return typeof slot === 'object' && slot !== null && typeof (slot as Stream).pipe === 'function';
}

/** handedStreams lists the Node streams among the slots of a stdio option, as given. */
export function handedStreams(stdio: unknown): Stream[] {
  const slots: unknown[] = Array.isArray(stdio) ? stdio : [stdio];
  return slots.filter(isStream);
}

type ReadableInternals = Partial<Readable> & { _readableState?: { reading: boolean; resumeScheduled: boolean } };

/** Pauses one stream and, when it reads through a libuv handle, takes the handle off the loop. */
function stop(stream: Stream): void {
  const readable = stream as ReadableInternals;
  if (typeof readable.pause === 'function') readable.pause();
  const handle = (stream as { _handle?: StreamHandle | null })._handle;
  if (typeof handle?.readStop !== 'function') return;
  handle.reading = false;
  handle.readStop();
  // No read is pending on the handle any more: a later read() must be able to start one.
  if (readable._readableState !== undefined) readable._readableState.reading = false;
}

/**
 * stopReading makes this process stop reading every stream a child was
 * given: libuv stops polling a socket's, pipe's or TTY's handle at once,
 * and the stream is paused (a 'data' listener added later does not start
 * it again; an explicit read() or resume() does). A resume that was
 * already scheduled (a 'data' listener added in this tick) would start a
 * read again before the loop polls: the stream is stopped once more after it.
 */
export function stopReading(streams: readonly Stream[]): void {
  for (const stream of streams) {
    stop(stream);
    if ((stream as ReadableInternals)._readableState?.resumeScheduled === true) process.nextTick(stop, stream);
  }
}
