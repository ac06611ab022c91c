/**
 * ipc - the parent's end of Node's IPC channel: send(), disconnect(),
 * connected, and the 'message' and 'disconnect' events of a handle.
 *
 * The channel is the socket pair of a stdio slot (any fd, 0-2 too), which
 * the child finds through NODE_CHANNEL_FD; this end speaks Node's wire format on it
 * (see ipc-wire), so the child is a plain Node program. Like child_process,
 * the channel keeps the event loop alive while it is connected; the child's
 * exit closes its end, and this end then disconnects.
 *
 * Handles (sockets, servers) are not sent: that needs SCM_RIGHTS and Node's
 * NODE_HANDLE exchange, which net.Socket cannot give (see sendHandle).
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { invalidArgType, notSupported, systemError, withCode } from './errors';
import { makeWire, type Serialization, type Wire } from './ipc-wire';

/** The most bytes waiting to be written while send() still returns true, as child_process has it. */
const QUEUE_LIMIT = 65536 * 2;

/** SendCallback is called once a message has been written, or with the error that kept it from the channel. */
export type SendCallback = (error: Error | null) => void;

function channelClosed(): Error & { code: string } {
  return withCode(new Error('Channel closed'), 'ERR_IPC_CHANNEL_CLOSED');
}

function alreadyDisconnected(): Error & { code: string } {
  return withCode(new Error('IPC channel is already disconnected'), 'ERR_IPC_DISCONNECTED');
}

/** Node's internal messages (a `cmd` string starting with NODE_) are not the user's. */
function isInternal(message: unknown): boolean {
  const cmd = (message as { cmd?: unknown } | null)?.cmd;
  return typeof message === 'object' && typeof cmd === 'string' && cmd.length > 5 && cmd.startsWith('NODE_');
}

function checkMessage(message: unknown): void {
  if (message === undefined) {
    throw withCode(new TypeError('The "message" argument must be specified'), 'ERR_MISSING_ARGS');
  }
  const t = typeof message;
  if (t !== 'string' && t !== 'object' && t !== 'number' && t !== 'boolean') {
    throw invalidArgType('message', 'string, object, number, or boolean', message);
  }
}

/**
 * IpcChannel is one handle's end of the channel. Its events are emitted by
 * the handle (`host`): 'message' (message), 'internalMessage' for Node's
 * own, 'disconnect', and 'error' for a send that failed without a callback.
 */
export class IpcChannel {
  #socket: Socket | null;
  // Made only for a connected channel: most children have none.
  #wire: Wire | null = null;
  #host: EventEmitter;
  #connected: boolean;

  /** A null socket makes a channel that was never connected, for a child without one. */
  constructor(socket: Socket | null, mode: Serialization, host: EventEmitter) {
    this.#socket = socket;
    this.#host = host;
    this.#connected = socket !== null;
    if (socket === null) return;
    this.#wire = makeWire(mode);
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    // The child's exit (or its disconnect()) ends its side: so does this one.
    socket.on('end', () => this.disconnect());
    socket.on('error', () => this.disconnect());
    socket.on('close', () => this.disconnect());
  }

  /** connected is true until either side disconnects (or the child exits). */
  get connected(): boolean {
    return this.#connected;
  }

  #read(chunk: Buffer): void {
    if (!this.#connected) return;
    let messages: unknown[];
    try {
      messages = this.#wire!.decode(chunk);
    } catch (err) {
      process.nextTick(() => this.#host.emit('error', err));
      this.disconnect();
      return;
    }
    for (const m of messages) {
      process.nextTick(() => this.#host.emit(isInternal(m) ? 'internalMessage' : 'message', m, undefined));
    }
  }

  /**
   * send writes one message (see SpawnPrivateOptions.serialization) and
   * returns false when the channel is closed or when more than 128 KiB wait
   * to be written (back-pressure: wait for callbacks before sending more).
   * The callback gets null once the message is written, or the error.
   */
  send(message: unknown, handle?: unknown, options?: unknown, callback?: unknown): boolean {
    if (typeof handle === 'function') [callback, handle, options] = [handle, undefined, undefined];
    else if (typeof options === 'function') [callback, options] = [options, undefined];
    else if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw invalidArgType('options', 'Object', options);
    }
    if (callback !== undefined && typeof callback !== 'function')
      throw invalidArgType('callback', 'Function', callback);
    const done = callback as SendCallback | undefined;
    if (!this.#connected) {
      this.#fail(channelClosed(), done);
      return false;
    }
    checkMessage(message);
    if (handle !== undefined && handle !== null) throw sendHandle(handle);
    const bytes = this.#wire!.encode(message);
    this.#socket!.write(bytes, (err?: Error | null) => {
      if (err) this.#fail(systemErrorOf(err), done);
      else done?.(null);
    });
    return this.#socket!.writableLength < QUEUE_LIMIT;
  }

  #fail(err: Error, done: SendCallback | undefined): void {
    if (done) process.nextTick(done, err);
    else process.nextTick(() => this.#host.emit('error', err));
  }

  /**
   * disconnect closes this end: 'disconnect' follows on a later tick, and the
   * child's process.on('disconnect') fires once it reads the end. A message
   * still being written is dropped, as child_process drops it. Calling it
   * again emits 'error' (ERR_IPC_DISCONNECTED) only when `strict`, before it
   * returns (so it throws when nothing listens), as child_process does.
   */
  disconnect(strict = false): void {
    if (!this.#connected) {
      // At once, as child_process does: with no 'error' listener, the call throws.
      if (strict) this.#host.emit('error', alreadyDisconnected());
      return;
    }
    this.#connected = false;
    this.#socket!.destroy();
    process.nextTick(() => this.#host.emit('disconnect'));
  }

  /** ref keeps the event loop alive while the channel is open (the default). */
  ref(): void {
    this.#socket?.ref();
  }

  /** unref lets the event loop end while the channel is open. */
  unref(): void {
    this.#socket?.unref();
  }
}

function systemErrorOf(err: Error): Error {
  const e = err as NodeJS.ErrnoException;
  return typeof e.errno === 'number' ? systemError('write', e.errno) : err;
}

/**
 * sendHandle is the error of send(message, handle): passing a socket or a
 * server needs the descriptor to cross the channel with SCM_RIGHTS and
 * Node's NODE_HANDLE / NODE_HANDLE_ACK exchange, which a net.Socket on the
 * socket pair cannot do. A value that is no object (a string, a number)
 * is no handle at all: child_process's ERR_INVALID_HANDLE_TYPE.
 */
function sendHandle(handle: unknown): Error & { code: string } {
  if (typeof handle !== 'object' && typeof handle !== 'function') {
    return withCode(new TypeError('This handle type cannot be sent'), 'ERR_INVALID_HANDLE_TYPE');
  }
  return notSupported(
    'Sending a handle over the IPC channel',
    "passing a socket or server needs SCM_RIGHTS, which a private child's channel does not carry; send its address or data instead",
  );
}
