/**
 * handle - PrivateHandle, the only way to wait on or signal a private child.
 *
 * What the rest of the package must do to a handle (deliver the reap, mark
 * an adopted ChildProcess, run clean-ups when it settles) goes through the
 * functions at the end of this file, which the package does not export: no
 * member of the object lets its user forge a status.
 */
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { illegalConstructor } from './errors';
import { hooks } from './handle-hooks';
import type { HandleInit } from './handle-init';
import { HandleKill } from './handle-kill';
import { type HandleStdio, wireStdio } from './handle-stdio';
import { HandleWait } from './handle-wait';
import type { IpcChannel } from './ipc';
import type { KillOptions } from './kill-options';
import { native, type NativeHandle } from './native';
import type { ProcessStatus } from './status';
import type { BackendKey, Isolation } from './options';

/** BackendKind names the implementation that spawned a child, as the backend option does. */
export type BackendKind = BackendKey;

let constructing = false;

/**
 * PrivateHandle is a private child: only this object can wait on it or
 * signal it. Another waitpid(-1) in the process cannot take its status, and
 * kill() can never reach another process that reused its pid. It is an
 * EventEmitter with ChildProcess's 'spawn', 'exit' and 'close' events;
 * wait() is the primary API. The type parameters are the streams of fds 0,
 * 1 and 2: `Writable`/`Readable` for a 'pipe' slot, null for any other.
 */
export class PrivateHandle<
  Stdin extends Writable | null = Writable | null,
  Stdout extends Readable | null = Readable | null,
  Stderr extends Readable | null = Readable | null,
>
  extends EventEmitter
  implements Disposable, AsyncDisposable
{
  /** pid is the child's process id. */
  readonly pid: number;
  /** spawnfile is the file that was executed, as given. */
  readonly spawnfile: string;
  /** spawnargs is the child's full argv. */
  readonly spawnargs: readonly string[];
  /**
   * stdin is a stream to the child's fd 0 when it is 'pipe', else null. It
   * is destroyed once the child has exited and its output has closed (just
   * before 'close'): a write after that fails with ERR_STREAM_DESTROYED.
   */
  readonly stdin: Stdin;
  /** stdout is a stream from the child's fd 1 when it is 'pipe', else null. */
  readonly stdout: Stdout;
  /** stderr is a stream from the child's fd 2 when it is 'pipe', else null. */
  readonly stderr: Stderr;
  /** stdio holds the streams of every fd, null where it is not 'pipe'. */
  readonly stdio: readonly [Stdin, Stdout, Stderr, ...Array<Readable | Writable | null>];
  /**
   * isolation is 'hidden' when the child is not this process's child at all
   * (started by an intermediate task), 'direct' when it is (and for an
   * adopted child).
   */
  readonly isolation: Isolation;

  #native: NativeHandle;
  #backend: BackendKind | null = null;
  #rawFds: number[];
  #wait: HandleWait;
  #kill: HandleKill;
  #stdio: HandleStdio;
  // Never connected for a child without an 'ipc' slot: send() and disconnect() then say so.
  #ipc: IpcChannel;

  /** @internal Handles are made by spawnPrivate, runPrivate and adopt only. */
  private constructor(init: HandleInit) {
    if (!constructing) throw illegalConstructor('PrivateHandle');
    super();
    this.#native = init.native;
    this.pid = init.pid;
    this.isolation = init.isolation;
    this.spawnfile = init.file;
    this.spawnargs = Object.freeze([...init.argv]);
    // Its events come on a later tick: the call that learnt of the exit (kill(), waitSync(),
    // waitNonblock()) emits nothing itself, and what a listener throws reaches 'uncaughtException'.
    this.#wait = new HandleWait(init.native, init.pid, init.isolation, () => process.nextTick(() => this.#announce()));
    this.#kill = new HandleKill(init.native, init.pid, init, this.#wait);
    this.#rawFds = init.streams ? [] : init.fds.map((fd) => (typeof fd === 'number' ? fd : -1));
    const { stdio, holder, channel } = wireStdio(init.fds, init.streams, init.ipc, this, () => this.#emitClose());
    this.#stdio = holder;
    this.#ipc = channel;
    this.stdio = Object.freeze(stdio) as never;
    this.stdin = stdio[0] as Stdin;
    this.stdout = stdio[1] as Stdout;
    this.stderr = stdio[2] as Stderr;
    // On a later tick, as ChildProcess emits it; queued before any 'exit' can be.
    process.nextTick(() => this.emit('spawn'));
  }

  static {
    hooks.settle = (h: PrivateHandle, result) => h.#wait.settle(result);
    hooks.markReapedElsewhere = (h: PrivateHandle) => {
      h.#wait.reapedElsewhere = true;
    };
    hooks.addSettleHook = (h: PrivateHandle, fn) => h.#wait.onSettle(fn);
    hooks.takeRaw = (h: PrivateHandle) => ({ native: h.#native, fds: h.#rawFds.splice(0) });
    hooks.stop = (h: PrivateHandle, signo, group) => h.#kill.stop(signo, group);
  }

  /**
   * Emits 'exit' (or 'error'), after queuing what follows it so that a
   * throwing listener cannot stop it: 'close' and the draining of the
   * output nobody reads (see HandleStdio.exited).
   */
  #announce(): void {
    this.#stdio.exited();
    const { status, lost } = this.#wait;
    if (status !== null) this.emit('exit', status.exitCode, status.signal);
    else if (this.listenerCount('error') > 0) this.emit('error', lost);
  }

  /** Emits 'close', once 'exit' has been emitted and every output stream has closed. */
  #emitClose(): void {
    const status = this.#wait.status;
    this.emit('close', status?.exitCode ?? null, status?.signal ?? null);
  }

  /**
   * wait resolves with the child's ProcessStatus once it has exited and been
   * reaped; every call gets the same object. While it is pending it keeps the
   * event loop alive, even after close(), unless unref() was called. It
   * rejects with ERR_PRIVATE_STATUS_LOST only where no mechanism could keep
   * the status from another reaper (see capabilities()).
   */
  wait(): Promise<ProcessStatus> {
    return this.#wait.wait();
  }

  /** waitSync blocks the thread until the child has exited; the same object as wait(). */
  waitSync(): ProcessStatus {
    return this.#wait.waitSync();
  }

  /**
   * waitNonblock returns the ProcessStatus if the child has exited (reaping
   * it; the same object as wait()), else null. It never blocks.
   */
  waitNonblock(): ProcessStatus | null {
    return this.#wait.waitNonblock();
  }

  /** backend names the implementation that spawned the child: 'linux', 'freebsd' or 'fallback'. */
  get backend(): BackendKind {
    this.#backend ??= native.backendName(this.#native) as BackendKind;
    return this.#backend;
  }

  /** status is the ProcessStatus once known, else null. */
  get status(): ProcessStatus | null {
    return this.#wait.status;
  }

  /**
   * kill sends a signal (default 'SIGTERM') to the child and returns true.
   * Once the child has exited it returns false, as ChildProcess's does,
   * without any system call: its pid may belong to another process by then.
   * With `{ group: true }` it signals the child's process group, which needs
   * `detached: true`; see KillOptions.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM', options?: KillOptions): boolean {
    return this.#kill.kill(signal, options);
  }

  /**
   * connected is true while the IPC channel (an 'ipc' stdio slot; every
   * forkPrivate child has one) is open, false once either side has
   * disconnected or the child has exited, and for a child without one.
   */
  get connected(): boolean {
    return this.#ipc.connected;
  }

  /**
   * send writes a message to the child's process.on('message'), in the
   * spawn's `serialization`, and returns false when it could not be sent or
   * when more than 128 KiB wait to be written (wait for the callback before
   * sending more). The callback gets null once the message is written, or
   * the error (ERR_IPC_CHANNEL_CLOSED once disconnected or without a
   * channel); without a callback an error is emitted as 'error'. Sending a
   * handle (a socket, a server) throws ERR_NOT_SUPPORTED.
   */
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, handle: unknown, options?: object, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, ...rest: unknown[]): boolean {
    return this.#ipc.send(message, ...rest);
  }

  /**
   * disconnect closes the IPC channel: 'disconnect' follows on a later tick,
   * and the child's process 'disconnect' once it reads the end. Without an
   * open channel it emits 'error' (ERR_IPC_DISCONNECTED) before it returns,
   * as child_process does: with no 'error' listener, it throws.
   */
  disconnect(): void {
    this.#ipc.disconnect(true);
  }

  /** ref makes a running child keep the event loop alive (the default). */
  ref(): this {
    this.#wait.ref(true);
    return this;
  }

  /** unref lets the event loop end while the child still runs, even with a wait() pending. */
  unref(): this {
    this.#wait.ref(false);
    return this;
  }

  /**
   * close releases the handle's stdio streams now and stops it from keeping
   * the event loop alive, until wait() is called. The child is not
   * signalled; it is still reaped when it exits (its pidfd is closed then),
   * so it never stays a zombie.
   */
  close(): void {
    this.#stdio.destroy();
    this.#wait.close();
  }

  /**
   * [Symbol.dispose] sends killSignal (default SIGTERM; to the whole group
   * when detached, the child alone if the group cannot be signalled) to a
   * child still running, then closes the handle; it never throws. A child
   * still running killGraceMs later (5 s when the spawn set none) gets
   * SIGKILL, if this process still runs then.
   */
  [Symbol.dispose](): void {
    this.#kill.terminate();
    this.close();
  }

  /**
   * [Symbol.asyncDispose] does what [Symbol.dispose] does, then waits until
   * the child has been reaped, keeping the event loop alive meanwhile (even
   * after unref()): at most killGraceMs (5 s when the spawn set none) plus
   * the time SIGKILL takes.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const clear = this.#kill.terminate();
    this.close();
    // The reap must keep this process alive, whatever unref() and an earlier wait() did.
    await this.#wait.keepAlive().catch(() => undefined);
    clear();
  }

  /** toString describes the handle: `PrivateHandle pid 1234 (running)`. */
  override toString(): string {
    const { status, lost } = this.#wait;
    const state = status ? status.toString() : lost ? 'status lost' : 'running';
    return `PrivateHandle pid ${this.pid} (${state})`;
  }
}

/** The events of a PrivateHandle, as ChildProcess has them. */
export interface PrivateHandle<
  Stdin extends Writable | null = Writable | null,
  Stdout extends Readable | null = Readable | null,
  Stderr extends Readable | null = Readable | null,
> {
  /**
   * The events come in ChildProcess's order. 'spawn' first, once, on a
   * tick after the handle was made (the child runs: spawnPrivate throws
   * when it cannot start; adopt()'s handles emit it too). 'exit' once the
   * child has been reaped, with its exit code or the signal that killed it;
   * 'error' in its place when the status was lost, only if someone listens.
   * 'close' after it, once stdout, stderr and the higher pipes have closed
   * too (with nulls when the status was lost). Each comes on a later tick,
   * never from inside a method the caller is still in (kill(), waitSync(),
   * waitNonblock(), close(), disposal), and what a listener throws reaches
   * 'uncaughtException'.
   */
  on(event: 'spawn', listener: () => void): this;
  on(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** once is `on` for one emission. */
  once(event: 'spawn', listener: () => void): this;
  once(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /** addListener is `on`. */
  addListener(event: 'spawn', listener: () => void): this;
  addListener(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  addListener(event: 'error', listener: (err: Error) => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** @internal createHandle makes the handle of a child that has started. */
export function createHandle(init: HandleInit): PrivateHandle {
  constructing = true;
  try {
    return new (PrivateHandle as unknown as new (init: HandleInit) => PrivateHandle)(init);
  } finally {
    constructing = false;
  }
}

export { settle, reapedByChildProcess, onSettle, stop, raw } from './handle-hooks';
