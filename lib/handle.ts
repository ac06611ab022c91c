/**
 * handle - PrivateHandle, the only way to wait on or signal a private child.
 *
 * What the rest of the package must do to a handle (deliver the reap, mark
 * an adopted ChildProcess, run clean-ups when it settles) goes through the
 * functions at the end of this file, which the package does not export: no
 * member of the object lets its user forge a status.
 */
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { illegalConstructor, notDetached, reapedElsewhere, statusLost, systemError } from './errors';
import { HandleStdio, makeStreams } from './handle-stdio';
import { hooks, onSettle } from './handle-hooks';
import { IpcChannel } from './ipc';
import type { IpcSetting } from './ipc-options';
import { checkKillOptions, type KillOptions } from './kill-options';
import { native, type NativeHandle, type StatusTuple } from './native';
import { ProcessStatus } from './status';
import { toSignal } from './signals';
import type { BackendKey, Isolation } from './options';

/** BackendKind names the implementation that spawned a child, as the backend option does. */
export type BackendKind = BackendKey;

/** A grace before SIGKILL for disposal when the spawn set no killGraceMs. */
const DISPOSE_GRACE_MS = 5000;
const SIGKILL = toSignal('SIGKILL');

/** HandleInit is what the package knows of a child when it makes its handle. */
interface HandleInit {
  native: NativeHandle;
  pid: number;
  /**
   * fds are the parent's ends of the stdio slots, -1 where a slot is not a
   * pipe; the portable backend gives child_process's streams instead.
   */
  fds: Array<number | Readable | Writable | null>;
  /** streams wraps the fds in Node streams; false leaves them raw, for a synchronous run. */
  streams: boolean;
  file: string;
  argv: readonly string[];
  detached: boolean;
  killSignal: number;
  killGraceMs: number | null;
  isolation: Isolation;
  /** ipc is the IPC channel's slot (-1 for none) and wire format. */
  ipc: IpcSetting;
}

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
  #detached: boolean;
  #killSignal: number;
  #killGraceMs: number | null;
  #status: ProcessStatus | null = null;
  #lost: Error | null = null;
  #waiters: Array<{ resolve: (s: ProcessStatus) => void; reject: (e: Error) => void }> = [];
  #promise: Promise<ProcessStatus> | null = null;
  #onSettle: Array<() => void> = [];
  // True for an adopted ChildProcess: child_process reaps it, we only signal it.
  #reapedElsewhere = false;
  // The event loop is kept alive while the child runs, unless unref() said
  // otherwise, or close() did and no wait() is pending.
  #refd = true;
  #closed = false;
  // What the backend was last told: a new child keeps the loop alive; only a change is passed on.
  #nativeRefd = true;
  #stdio: HandleStdio;
  // 'exit' (or 'error') has been emitted: 'close' may follow, once the output has closed.
  #announced = false;
  #closeEmitted = false;
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
    this.#detached = init.detached;
    this.#killSignal = init.killSignal;
    this.#killGraceMs = init.killGraceMs;
    this.#rawFds = init.streams ? [] : init.fds.map((fd) => (typeof fd === 'number' ? fd : -1));
    const stdio = init.streams ? makeStreams(init.fds, init.ipc.fd) : init.fds.map(() => null);
    while (stdio.length < 3) stdio.push(null);
    const channel = init.ipc.fd >= 0 ? (stdio[init.ipc.fd] as Socket) : null;
    this.#stdio = new HandleStdio([...stdio], init.ipc.fd, () => this.#maybeClose());
    this.#ipc = new IpcChannel(channel, init.ipc.serialization, this);
    if (channel) stdio[init.ipc.fd] = null;
    this.stdio = Object.freeze(stdio) as never;
    this.stdin = stdio[0] as Stdin;
    this.stdout = stdio[1] as Stdout;
    this.stderr = stdio[2] as Stderr;
    // On a later tick, as ChildProcess emits it; queued before any 'exit' can be.
    process.nextTick(() => this.emit('spawn'));
  }

  static {
    hooks.settle = (h, result) => h.#settle(result);
    hooks.markReapedElsewhere = (h) => {
      h.#reapedElsewhere = true;
    };
    hooks.addSettleHook = (h, fn) => {
      if (h.#settled) fn();
      else h.#onSettle.push(fn);
    };
    hooks.takeRaw = (h) => ({ native: h.#native, fds: h.#rawFds.splice(0) });
    hooks.stop = (h, signo, group) => h.#stop(signo, group);
  }

  get #settled(): boolean {
    return this.#status !== null || this.#lost !== null;
  }

  /**
   * Records the result of a reap once and tells every waiter. The events
   * come on a later tick: the call that learnt of the exit (kill(),
   * waitSync(), waitNonblock()) emits nothing itself, and what a listener
   * throws reaches 'uncaughtException'.
   */
  #settle(result: StatusTuple | number): void {
    if (this.#settled) return;
    if (typeof result === 'number') {
      this.#lost =
        result === -constants.errno.ECHILD ? statusLost(this.pid, this.isolation) : systemError('waitid', result);
    } else {
      this.#status = new ProcessStatus(result);
    }
    for (const fn of this.#onSettle.splice(0)) fn();
    for (const w of this.#waiters.splice(0)) {
      if (this.#status) w.resolve(this.#status);
      else w.reject(this.#lost as Error);
    }
    process.nextTick(() => this.#announce());
  }

  /**
   * Emits 'exit' (or 'error'), after queuing what follows it so that a
   * throwing listener cannot stop it: 'close', and, a turn of the event loop
   * later (what an 'exit' listener or the code after `await wait()` starts
   * to read is kept), the draining of the output nobody reads, when there
   * is any.
   */
  #announce(): void {
    this.#announced = true;
    process.nextTick(() => this.#maybeClose());
    if (!this.#stdio.outputClosed) setImmediate(() => this.#stdio.drainUnread());
    if (this.#status !== null) this.emit('exit', this.#status.exitCode, this.#status.signal);
    else if (this.listenerCount('error') > 0) this.emit('error', this.#lost);
  }

  /**
   * Emits 'close' once 'exit' has been emitted and every output stream has
   * closed, destroying the parent's end of stdin first, as ChildProcess does
   * at the exit: else it would hold a descriptor for as long as the handle
   * lives.
   */
  #maybeClose(): void {
    if (!this.#announced || !this.#stdio.outputClosed || this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.#stdio.endInput();
    this.emit('close', this.#status?.exitCode ?? null, this.#status?.signal ?? null);
  }

  /** The outcome for the synchronous waits: the status, null, or a throw. */
  #outcome(result: StatusTuple | number | null): ProcessStatus | null {
    if (result !== null) this.#settle(result);
    if (this.#lost !== null) throw this.#lost;
    return this.#status;
  }

  /** Tells the backend whether the running child keeps the event loop alive, when that changes. */
  #applyRef(): void {
    const on = this.#refd && (!this.#closed || this.#promise !== null);
    if (this.#settled || on === this.#nativeRefd) return;
    this.#nativeRefd = on;
    native.ref(this.#native, on);
  }

  /**
   * wait resolves with the child's ProcessStatus once it has exited and been
   * reaped; every call gets the same object. While it is pending it keeps the
   * event loop alive, even after close(), unless unref() was called. It
   * rejects with ERR_PRIVATE_STATUS_LOST only where no mechanism could keep
   * the status from another reaper (see capabilities()).
   */
  wait(): Promise<ProcessStatus> {
    if (this.#promise === null) {
      if (this.#status !== null) this.#promise = Promise.resolve(this.#status);
      else if (this.#lost !== null) this.#promise = Promise.reject(this.#lost);
      else this.#promise = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      this.#applyRef();
    }
    return this.#promise;
  }

  /** waitSync blocks the thread until the child has exited; the same object as wait(). */
  waitSync(): ProcessStatus {
    const known = this.#outcome(null);
    if (known !== null) return known;
    if (this.#reapedElsewhere) throw reapedElsewhere(this.pid);
    return this.#outcome(native.reap(this.#native)) as ProcessStatus;
  }

  /**
   * waitNonblock returns the ProcessStatus if the child has exited (reaping
   * it; the same object as wait()), else null. It never blocks.
   */
  waitNonblock(): ProcessStatus | null {
    const known = this.#outcome(null);
    if (known !== null || this.#reapedElsewhere) return known;
    return this.#outcome(native.tryReap(this.#native));
  }

  /** backend names the implementation that spawned the child: 'linux', 'freebsd' or 'fallback'. */
  get backend(): BackendKind {
    this.#backend ??= native.backendName(this.#native) as BackendKind;
    return this.#backend;
  }

  /** status is the ProcessStatus once known, else null. */
  get status(): ProcessStatus | null {
    return this.#status;
  }

  /**
   * kill sends a signal (default 'SIGTERM') to the child and returns true.
   * Once the child has exited it returns false, as ChildProcess's does,
   * without any system call: its pid may belong to another process by then.
   * With `{ group: true }` it signals the child's process group, which needs
   * `detached: true`; see KillOptions.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM', options?: KillOptions): boolean {
    const signo = toSignal(signal);
    const group = checkKillOptions(options);
    if (group && !this.#detached) throw notDetached(this.pid);
    if (this.#settled) return false;
    const r = native.signal(this.#native, signo, group);
    if (r === 0) return true;
    if (r !== -constants.errno.ESRCH) throw systemError('kill', r);
    // Gone: take the status the addon may already hold, so that false comes with a known status
    // (a lost one included: wait() says so). 'exit' still comes on a later tick.
    if (!this.#reapedElsewhere) {
      const known = native.tryReap(this.#native);
      if (known !== null) this.#settle(known);
    }
    return false;
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
    this.#refd = true;
    this.#applyRef();
    return this;
  }

  /** unref lets the event loop end while the child still runs, even with a wait() pending. */
  unref(): this {
    this.#refd = false;
    this.#applyRef();
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
    this.#closed = true;
    this.#applyRef();
  }

  /**
   * Sends signo on the caller's behalf, from a timer, an abort listener or
   * disposal, where an exception would crash the host while the child runs
   * on: it never throws. A group kill that fails (the kernel refuses it)
   * falls back to the child alone; a kill that fails altogether is left for
   * the status to tell. Returns false once the child is known to be gone.
   */
  #stop(signo: number, group: boolean): boolean {
    if (group) {
      try {
        return this.kill(signo, { group: true });
      } catch {
        // Refused: the child alone, below.
      }
    }
    try {
      return this.kill(signo);
    } catch {
      return true;
    }
  }

  /**
   * Sends killSignal (the whole group when detached) to a running child and
   * arms SIGKILL for when it is still running `grace` ms later; returns the
   * timer's clean-up. It never throws (see #stop).
   */
  #terminate(): () => void {
    if (this.#settled) return () => undefined;
    this.#stop(this.#killSignal, this.#detached);
    if (this.#killSignal === SIGKILL) return () => undefined;
    const escalate = (): void => void this.#stop(SIGKILL, this.#detached);
    const timer = setTimeout(escalate, this.#killGraceMs ?? DISPOSE_GRACE_MS);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    onSettle(this, clear);
    return clear;
  }

  /**
   * [Symbol.dispose] sends killSignal (default SIGTERM; to the whole group
   * when detached, the child alone if the group cannot be signalled) to a
   * child still running, then closes the handle; it never throws. A child
   * still running killGraceMs later (5 s when the spawn set none) gets
   * SIGKILL, if this process still runs then.
   */
  [Symbol.dispose](): void {
    this.#terminate();
    this.close();
  }

  /**
   * [Symbol.asyncDispose] does what [Symbol.dispose] does, then waits until
   * the child has been reaped, keeping the event loop alive meanwhile (even
   * after unref()): at most killGraceMs (5 s when the spawn set none) plus
   * the time SIGKILL takes.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const clear = this.#terminate();
    this.close();
    // The reap must keep this process alive, whatever unref() and an earlier wait() did.
    this.#refd = true;
    const reaped = this.wait();
    this.#applyRef();
    await reaped.catch(() => undefined);
    clear();
  }

  /** toString describes the handle: `PrivateHandle pid 1234 (running)`. */
  override toString(): string {
    const state = this.#status ? this.#status.toString() : this.#lost ? 'status lost' : 'running';
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
