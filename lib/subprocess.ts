/**
 * subprocess - what runPrivate returns: the Promise of the run's result,
 * which is also the live child (its pid, kill(), wait() and streams), as
 * execa's subprocess is.
 */
import type { Readable, Writable } from 'node:stream';
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

/** makeSubprocess makes the run's promise its subprocess: `live` is null for a run whose child never started. */
export function makeSubprocess<T extends RunOutput>(
  promise: Promise<RunResult<T>>,
  live: RunLive | null,
): PrivateSubprocess<T> {
  let waited: Promise<RunResult<T>> | null = null;
  const tees = new Map<Capture, Readable | null>();
  const tee = (c: Capture | undefined): Readable | null => {
    if (c === undefined) return null;
    if (!tees.has(c)) tees.set(c, c.tee());
    return tees.get(c) ?? null;
  };
  const members: Record<string, PropertyDescriptor> = {
    pid: { value: live?.handle.pid ?? null },
    stdin: { get: () => live?.takeStdin() ?? null },
    stdout: { get: () => tee(live?.stdout) },
    stderr: { get: () => tee(live?.stderr) },
    kill: {
      value: (signal: NodeJS.Signals | number = 'SIGTERM', options?: KillOptions): boolean => {
        if (live !== null) return live.handle.kill(signal, options);
        toSignal(signal);
        checkKillOptions(options);
        return false;
      },
    },
    // Made on the first call only: a rejection nobody asked to wait for stays the run's own, unhandled.
    wait: { value: () => (waited ??= promise.then((r) => r)) },
  };
  return Object.defineProperties(promise, members) as PrivateSubprocess<T>;
}
