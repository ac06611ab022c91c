/**
 * handle-kill - the signals of a PrivateHandle: kill(), the kill that never
 * throws (for timers, abort listeners and disposal), and the termination
 * with its SIGKILL after a grace.
 */
import { constants } from 'node:os';
import { notDetached, systemError } from './errors';
import type { HandleWait } from './handle-wait';
import { checkKillOptions, type KillOptions } from './kill-options';
import { native, type NativeHandle } from './native';
import { toSignal } from './signals';

/** A grace before SIGKILL for disposal when the spawn set no killGraceMs. */
const DISPOSE_GRACE_MS = 5000;
const SIGKILL = toSignal('SIGKILL');

/** KillSettings are what the spawn said of signalling the child. */
export interface KillSettings {
  detached: boolean;
  killSignal: number;
  killGraceMs: number | null;
}

/** HandleKill signals one child, until its status (in `wait`) is known. */
export class HandleKill {
  #native: NativeHandle;
  #pid: number;
  #detached: boolean;
  #killSignal: number;
  #killGraceMs: number | null;
  #wait: HandleWait;

  /** The child of `nativeHandle` (pid `pid`), as `settings` say, whose status `wait` holds. */
  constructor(nativeHandle: NativeHandle, pid: number, settings: KillSettings, wait: HandleWait) {
    this.#native = nativeHandle;
    this.#pid = pid;
    this.#detached = settings.detached;
    this.#killSignal = settings.killSignal;
    this.#killGraceMs = settings.killGraceMs;
    this.#wait = wait;
  }

  /** kill is PrivateHandle.kill. */
  kill(signal: NodeJS.Signals | number, options?: KillOptions): boolean {
    const signo = toSignal(signal);
    const group = checkKillOptions(options);
    if (group && !this.#detached) throw notDetached(this.#pid);
    if (this.#wait.settled) return false;
    const r = native.signal(this.#native, signo, group);
    if (r === 0) return true;
    if (r !== -constants.errno.ESRCH) throw systemError('kill', r);
    // Gone: take the status the addon may already hold, so that false comes with a known status
    // (a lost one included: wait() says so). 'exit' still comes on a later tick.
    this.#wait.collect();
    return false;
  }

  /**
   * stop sends signo on the caller's behalf, from a timer, an abort
   * listener or disposal, where an exception would crash the host while
   * the child runs on: it never throws. A group kill that fails (the
   * kernel refuses it) falls back to the child alone; a kill that fails
   * altogether is left for the status to tell. Returns false once the child
   * is known to be gone.
   */
  stop(signo: number, group: boolean): boolean {
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
   * terminate sends killSignal (the whole group when detached) to a running
   * child and arms SIGKILL for when it is still running killGraceMs later;
   * returns the timer's clean-up. It never throws (see stop).
   */
  terminate(): () => void {
    if (this.#wait.settled) return () => undefined;
    this.stop(this.#killSignal, this.#detached);
    if (this.#killSignal === SIGKILL) return () => undefined;
    const escalate = (): void => void this.stop(SIGKILL, this.#detached);
    const timer = setTimeout(escalate, this.#killGraceMs ?? DISPOSE_GRACE_MS);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    this.#wait.onSettle(clear);
    return clear;
  }
}
