/**
 * handle-stdio - the stdio streams of a PrivateHandle, and how they end.
 *
 * As child_process ends its own: once the child has exited, an output
 * stream nobody reads is drained (read and dropped) so that it reaches its
 * end and closes, and once every output stream has closed, the parent's end
 * of stdin is destroyed, so that no descriptor outlives the child.
 */
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { IpcChannel } from './ipc';
import type { IpcSetting } from './ipc-options';

/** StdioStreams are the streams of fds 0, 1, 2 and up, null where a slot is not a pipe. */
export type StdioStreams = Array<Readable | Writable | null>;

/**
 * makeStreams wraps the parent's ends of the stdio slots in Node streams:
 * -1 where a slot is not a pipe gives null; the portable backend hands over
 * child_process's own streams, kept as they are. `ipcFd` is the IPC
 * channel's slot (-1: none), a socket pair read and written wherever it is.
 */
export function makeStreams(fds: Array<number | Readable | Writable | null>, ipcFd: number): StdioStreams {
  return fds.map((fd, i) => {
    if (typeof fd !== 'number') return fd;
    if (fd < 0) return null;
    // fd 0 is the child's input: we write. 1 and 2 are its output: we read.
    // Higher slots and the channel are socket pairs, both ways.
    const both = i > 2 || i === ipcFd;
    return new net.Socket({ fd, readable: both || i !== 0, writable: both || i === 0 });
  });
}

/**
 * wireStdio gives a handle (`host`) its stdio: the streams of every slot
 * (`streams` false leaves the fds raw: nulls), at least three, with null
 * in the IPC channel's slot; what follows them to their close, which calls
 * `onClose`; and the IPC channel, never connected when there is none.
 */
export function wireStdio(
  fds: Array<number | Readable | Writable | null>,
  streams: boolean,
  ipc: IpcSetting,
  host: EventEmitter,
  onClose: () => void,
): { stdio: StdioStreams; holder: HandleStdio; channel: IpcChannel } {
  const stdio = streams ? makeStreams(fds, ipc.fd) : fds.map(() => null);
  while (stdio.length < 3) stdio.push(null);
  const socket = ipc.fd >= 0 ? (stdio[ipc.fd] as net.Socket) : null;
  const holder = new HandleStdio([...stdio], ipc.fd, onClose);
  const channel = new IpcChannel(socket, ipc.serialization, host);
  if (socket) stdio[ipc.fd] = null;
  return { stdio, holder, channel };
}

/**
 * HandleStdio follows the output streams of one handle (fd 1, 2, the
 * socket pairs above and the IPC channel wherever it is) to their close,
 * and ends stdin.
 */
export class HandleStdio {
  /** streams are the streams of every fd, null where it is not a pipe. */
  readonly streams: StdioStreams;
  // The slot of stdin, the one stream this process only writes: none when fd 0 is the IPC channel.
  #input: number;
  #open = 0;
  #onClose: () => void;
  // The child has exited: onClose may follow, once the output has closed.
  #exited = false;
  #closed = false;

  /**
   * onClose is called once, when the child has exited and every output
   * stream has closed (stdin destroyed just before); `ipcFd` is the
   * channel's slot (-1: none).
   */
  constructor(streams: StdioStreams, ipcFd: number, onClose: () => void) {
    this.streams = streams;
    this.#input = ipcFd === 0 ? -1 : 0;
    this.#onClose = onClose;
    streams.forEach((s, i) => {
      if (s === null || i === this.#input) return;
      this.#open++;
      s.once('close', () => {
        this.#open--;
        this.#maybeClose();
      });
    });
  }

  /**
   * exited says that the child has exited, before its 'exit' is emitted: on
   * the next tick onClose follows if the output has closed; a turn of the
   * event loop later (what an 'exit' listener or the code after `await
   * wait()` starts to read is kept), the output nobody reads is drained,
   * when there is any.
   */
  exited(): void {
    this.#exited = true;
    process.nextTick(() => this.#maybeClose());
    if (this.#open > 0) setImmediate(() => this.drainUnread());
  }

  /**
   * Calls onClose once the child has exited and every output stream has
   * closed, destroying the parent's end of stdin first, as ChildProcess
   * does at the exit: else it would hold a descriptor for as long as the
   * handle lives.
   */
  #maybeClose(): void {
    if (!this.#exited || this.#open > 0 || this.#closed) return;
    this.#closed = true;
    if (this.#input === 0) this.streams[0]?.destroy();
    this.#onClose();
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
      if (i !== this.#input && output !== null && output.readableFlowing === null && !output.destroyed) output.resume();
    });
  }

  /** destroy destroys every stream now. */
  destroy(): void {
    for (const s of this.streams) s?.destroy();
  }
}
