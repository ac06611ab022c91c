/**
 * subprocess - what runPrivate returns: the Promise of the run's result,
 * which is also the live child (its pid, kill(), wait() and streams), as
 * execa's subprocess is.
 */
import type { Writable } from 'node:stream';
import type { Capture } from './capture';
import type { PrivateHandle } from './handle';
import { checkKillOptions, type KillOptions } from './kill-options';
import type { PrivateSubprocess, RunOutput, RunResult } from './run-options';
import { toSignal } from './signals';

/** RunLive is what a started run lends its subprocess: the handle, the captures, the stdin nobody feeds. */
export interface RunLive {
  handle: PrivateHandle;
  stdout: Capture;
  stderr: Capture;
  /** takeStdin hands over fd 0's pipe when the run writes no input to it and has not closed it yet, else null. */
  takeStdin(): Writable | null;
}

/** PipeFrom is pipe() of a subprocess: from `source` (settled for pipedFrom) and its live child, to `args`. */
export type PipeFrom = (source: Promise<unknown>, live: RunLive | null, args: unknown[]) => PrivateSubprocess;

/** What a subprocess holds: its live child, how it pipes, and the promise its wait() returns once made. */
interface Held {
  live: RunLive | null;
  pipe: PipeFrom;
  waited: Promise<unknown> | null;
}

const held = new WeakMap<object, Held>();

/** liveOf is the live child of a subprocess (null when it never started), or undefined for anything else. */
export function liveOf(value: unknown): RunLive | null | undefined {
  return typeof value === 'object' && value !== null ? held.get(value)?.live : undefined;
}

function heldBy(sub: object): Held {
  return held.get(sub)!;
}

/**
 * The members of every subprocess, on one prototype between the promise
 * and Promise.prototype: made once, not for every run.
 */
const members: object = Object.create(Promise.prototype, {
  pid: {
    get(this: object) {
      return heldBy(this).live?.handle.pid ?? null;
    },
  },
  stdin: {
    get(this: object) {
      return heldBy(this).live?.takeStdin() ?? null;
    },
  },
  stdout: {
    get(this: object) {
      return heldBy(this).live?.stdout.tee() ?? null;
    },
  },
  stderr: {
    get(this: object) {
      return heldBy(this).live?.stderr.tee() ?? null;
    },
  },
  kill: {
    value(this: object, signal: NodeJS.Signals | number = 'SIGTERM', options?: KillOptions): boolean {
      const live = heldBy(this).live;
      if (live !== null) return live.handle.kill(signal, options);
      toSignal(signal);
      checkKillOptions(options);
      return false;
    },
  },
  // Made on the first call only: a rejection nobody asked to wait for stays the run's own, unhandled.
  wait: {
    value(this: Promise<unknown>) {
      const h = heldBy(this);
      return (h.waited ??= this.then((r) => r));
    },
  },
  pipe: {
    value(this: Promise<unknown>, ...args: unknown[]) {
      const h = heldBy(this);
      return h.pipe(this, h.live, args);
    },
  },
});

/**
 * makeSubprocess makes a run's promise its subprocess: `live` is null for
 * a run whose child never started; `pipe` is how it pipes to another.
 */
export function makeSubprocess<T extends RunOutput>(
  promise: Promise<RunResult<T>>,
  live: RunLive | null,
  pipe: PipeFrom,
): PrivateSubprocess<T> {
  held.set(promise, { live, pipe, waited: null });
  return Object.setPrototypeOf(promise, members) as PrivateSubprocess<T>;
}
