/**
 * handle-wait - the status of a PrivateHandle's child and the waits on it:
 * the result of the reap, recorded once, the wait() promise and its
 * waiters, the synchronous waits, the clean-ups run at settlement, and
 * whether the child keeps the event loop alive.
 */
import { constants } from 'node:os';
import { reapedElsewhere, statusLost, systemError } from './errors';
import { native, type NativeHandle, type StatusTuple } from './native';
import type { Isolation } from './options';
import { ProcessStatus } from './status';

/**
 * HandleWait is one child's status and waits. It calls `onSettled` once,
 * when the status (or its loss) becomes known, for the handle to queue its
 * events.
 */
export class HandleWait {
  /** status is the ProcessStatus once known, else null. */
  status: ProcessStatus | null = null;
  /** lost is why the status was lost (ERR_PRIVATE_STATUS_LOST or the reap's error), else null. */
  lost: Error | null = null;
  /** reapedElsewhere is true for an adopted ChildProcess: child_process reaps it, we only signal it. */
  reapedElsewhere = false;
  #native: NativeHandle;
  #pid: number;
  #isolation: Isolation;
  #onSettled: () => void;
  #waiters: Array<{ resolve: (s: ProcessStatus) => void; reject: (e: Error) => void }> = [];
  #promise: Promise<ProcessStatus> | null = null;
  #onSettle: Array<() => void> = [];
  // The event loop is kept alive while the child runs, unless unref() said
  // otherwise, or close() did and no wait() is pending.
  #refd = true;
  #closed = false;
  // What the backend was last told: a new child keeps the loop alive; only a change is passed on.
  #nativeRefd = true;

  /** The child of `nativeHandle`, whose pid and isolation name a lost status. */
  constructor(nativeHandle: NativeHandle, pid: number, isolation: Isolation, onSettled: () => void) {
    this.#native = nativeHandle;
    this.#pid = pid;
    this.#isolation = isolation;
    this.#onSettled = onSettled;
  }

  /** settled is true once the status is known or lost. */
  get settled(): boolean {
    return this.status !== null || this.lost !== null;
  }

  /** settle records the result of a reap once: the clean-ups run, every waiter is told. */
  settle(result: StatusTuple | number): void {
    if (this.settled) return;
    if (typeof result === 'number') {
      this.lost =
        result === -constants.errno.ECHILD ? statusLost(this.#pid, this.#isolation) : systemError('waitid', result);
    } else {
      this.status = new ProcessStatus(result);
    }
    for (const fn of this.#onSettle.splice(0)) fn();
    for (const w of this.#waiters.splice(0)) {
      if (this.status) w.resolve(this.status);
      else w.reject(this.lost as Error);
    }
    this.#onSettled();
  }

  /** onSettle runs fn once settled: now if the child is already. */
  onSettle(fn: () => void): void {
    if (this.settled) fn();
    else this.#onSettle.push(fn);
  }

  /** The outcome for the synchronous waits: the status, null, or a throw. */
  #outcome(result: StatusTuple | number | null): ProcessStatus | null {
    if (result !== null) this.settle(result);
    if (this.lost !== null) throw this.lost;
    return this.status;
  }

  /** wait is PrivateHandle.wait: one promise for every call. */
  wait(): Promise<ProcessStatus> {
    if (this.#promise === null) {
      if (this.status !== null) this.#promise = Promise.resolve(this.status);
      else if (this.lost !== null) this.#promise = Promise.reject(this.lost);
      else this.#promise = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      this.#applyRef();
    }
    return this.#promise;
  }

  /** waitSync is PrivateHandle.waitSync. */
  waitSync(): ProcessStatus {
    const known = this.#outcome(null);
    if (known !== null) return known;
    if (this.reapedElsewhere) throw reapedElsewhere(this.#pid);
    return this.#outcome(native.reap(this.#native)) as ProcessStatus;
  }

  /** waitNonblock is PrivateHandle.waitNonblock. */
  waitNonblock(): ProcessStatus | null {
    const known = this.#outcome(null);
    if (known !== null || this.reapedElsewhere) return known;
    return this.#outcome(native.tryReap(this.#native));
  }

  /** collect takes the status the backend may already hold, for a child found gone; it never throws. */
  collect(): void {
    if (this.reapedElsewhere) return;
    const known = native.tryReap(this.#native);
    if (known !== null) this.settle(known);
  }

  /** ref is what ref() (true) and unref() (false) ask. */
  ref(on: boolean): void {
    this.#refd = on;
    this.#applyRef();
  }

  /** close stops the child from keeping the loop alive, until wait() is called. */
  close(): void {
    this.#closed = true;
    this.#applyRef();
  }

  /** keepAlive is wait() that keeps the loop alive until the reap, whatever unref() and close() said. */
  keepAlive(): Promise<ProcessStatus> {
    this.#refd = true;
    const reaped = this.wait();
    this.#applyRef();
    return reaped;
  }

  /** Tells the backend whether the running child keeps the event loop alive, when that changes. */
  #applyRef(): void {
    const on = this.#refd && (!this.#closed || this.#promise !== null);
    if (this.settled || on === this.#nativeRefd) return;
    native.ref(this.#native, on);
    this.#nativeRefd = on;
  }
}
