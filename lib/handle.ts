/**
 * handle - PrivateHandle, the only way to wait on or signal a private child.
 */
import net from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { esrch, reapedElsewhere, statusLost, systemError } from './errors';
import { native, type NativeHandle, type StatusTuple } from './native';
import { ProcessStatus } from './status';
import { toSignal } from './signals';
import type { BackendKey, Isolation } from './options';

/** BackendKind names the implementation that spawned a child, as the backend option does. */
export type BackendKind = BackendKey;

type Stdio = Array<Readable | Writable | null>;

function makeStreams(fds: number[]): Stdio {
  return fds.map((fd, i) => {
    if (fd < 0) return null;
    // fd 0 is the child's input: we write. 1 and 2 are its output: we read.
    // Higher slots are socket pairs, both ways.
    return new net.Socket({ fd, readable: i !== 0, writable: i !== 1 && i !== 2 });
  });
}

/**
 * PrivateHandle is a private child: only this object can wait on it or
 * signal it. Another waitpid(-1) in the process cannot take its status, and
 * kill() can never reach another process that reused its pid.
 */
export class PrivateHandle implements Disposable, AsyncDisposable {
  /** pid is the child's process id. */
  readonly pid: number;
  #backend: BackendKind | null = null;
  /** spawnfile is the file that was executed, as given. */
  readonly spawnfile: string;
  /** spawnargs is the child's full argv. */
  readonly spawnargs: readonly string[];
  /** stdin is a stream to the child's fd 0 when it is 'pipe', else null. */
  readonly stdin: Writable | null;
  /** stdout is a stream from the child's fd 1 when it is 'pipe', else null. */
  readonly stdout: Readable | null;
  /** stderr is a stream from the child's fd 2 when it is 'pipe', else null. */
  readonly stderr: Readable | null;
  /** stdio holds the streams of every fd, null where it is not 'pipe'. */
  readonly stdio: ReadonlyArray<Readable | Writable | null>;
  /**
   * isolation is 'hidden' when the child is not this process's child at all
   * (started by an intermediate task), 'direct' when it is (and for an
   * adopted child).
   */
  readonly isolation: Isolation;

  #native: NativeHandle;
  #status: ProcessStatus | null = null;
  #lost: Error | null = null;
  #waiters: Array<{ resolve: (s: ProcessStatus) => void; reject: (e: Error) => void }> = [];
  #promise: Promise<ProcessStatus> | null = null;
  #onSettle: Array<() => void> = [];
  // True for an adopted ChildProcess: child_process reaps it, we only signal it.
  #reapedElsewhere = false;

  /** @internal */
  constructor(
    handle: NativeHandle,
    pid: number,
    fds: number[],
    file: string,
    argv: string[],
    isolation: Isolation = 'direct',
  ) {
    this.#native = handle;
    this.pid = pid;
    this.isolation = isolation;
    this.spawnfile = file;
    this.spawnargs = Object.freeze([...argv]);
    const stdio = makeStreams(fds);
    this.stdio = Object.freeze(stdio);
    this.stdin = (stdio[0] ?? null) as Writable | null;
    this.stdout = (stdio[1] ?? null) as Readable | null;
    this.stderr = (stdio[2] ?? null) as Readable | null;
  }

  /** @internal The addon calls this once the event loop has reaped the child. */
  _exited(result: StatusTuple | number): void {
    this.#settle(result);
  }

  /** @internal Marks an adopted ChildProcess: its status comes from child_process. */
  _reapedElsewhere(): void {
    this.#reapedElsewhere = true;
  }

  /** @internal Runs fn once the child is reaped or lost (timers, abort listeners). */
  _onSettle(fn: () => void): void {
    if (this.#status !== null || this.#lost !== null) fn();
    else this.#onSettle.push(fn);
  }

  /** Records the result of a reap once, and tells every waiter. */
  #settle(result: StatusTuple | number): void {
    if (this.#status !== null || this.#lost !== null) return;
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
  }

  /** The outcome for the synchronous waits: the status, null, or a throw. */
  #outcome(result: StatusTuple | number | null): ProcessStatus | null {
    if (result !== null) this.#settle(result);
    if (this.#lost !== null) throw this.#lost;
    return this.#status;
  }

  /**
   * wait resolves with the child's ProcessStatus once it has exited and been
   * reaped; every call gets the same object. It rejects with
   * ERR_PRIVATE_STATUS_LOST only where no mechanism could keep the status
   * from another reaper (see capabilities()).
   */
  wait(): Promise<ProcessStatus> {
    if (this.#promise === null) {
      if (this.#status !== null) this.#promise = Promise.resolve(this.#status);
      else if (this.#lost !== null) this.#promise = Promise.reject(this.#lost);
      else this.#promise = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
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
   * Once the child has been reaped it throws an ESRCH error without making
   * any system call: its pid may belong to another process by then.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const signo = toSignal(signal);
    if (this.#status !== null || this.#lost !== null) throw esrch(this.pid);
    const r = native.signal(this.#native, signo);
    if (r === 0) return true;
    if (r === -constants.errno.ESRCH) throw esrch(this.pid);
    throw systemError('kill', r);
  }

  /** ref makes a running child keep the event loop alive (the default). */
  ref(): this {
    native.ref(this.#native, true);
    return this;
  }

  /** unref lets the event loop end while the child still runs. */
  unref(): this {
    native.ref(this.#native, false);
    return this;
  }

  /**
   * close releases the handle's stdio streams now and stops it from keeping
   * the event loop alive. The child is not signalled; it is still reaped
   * when it exits (its pidfd is closed then), so it never stays a zombie.
   */
  close(): void {
    for (const s of this.stdio) s?.destroy();
    this.unref();
  }

  /** [Symbol.dispose] sends SIGTERM to a child still running, then closes the handle. */
  [Symbol.dispose](): void {
    if (this.#status === null && this.#lost === null) {
      try {
        this.kill('SIGTERM');
      } catch {
        // It has exited meanwhile: nothing to signal.
      }
    }
    this.close();
  }

  /** [Symbol.asyncDispose] sends SIGTERM to a child still running, waits for it, then closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    this.ref();
    await this.wait().catch(() => undefined);
  }

  /** toString describes the handle: `PrivateHandle pid 1234 (running)`. */
  toString(): string {
    const state = this.#status ? this.#status.toString() : this.#lost ? 'status lost' : 'running';
    return `PrivateHandle pid ${this.pid} (${state})`;
  }
}
