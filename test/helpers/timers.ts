/**
 * Watching the timers the package creates, for "no timer left behind" checks.
 */
import { createHook } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { scaled } from './time.mjs';

/** Node's Timeout object, with the two internal fields the check reads. */
interface TimeoutInternals {
  _idleTimeout: number;
  _destroyed: boolean;
}

/** TimerWatch counts the watched timers and those still pending. */
export interface TimerWatch {
  /** created is how many timers with one of the watched delays were made. */
  created(): number;
  /** pending is how many of them have neither fired nor been cleared. */
  pending(): number;
  /** stop stops watching for new timers. */
  stop(): void;
}

/**
 * watchTimers records every timer created with one of `delays` (pick delays
 * no one else uses, such as 60_001) until stop(). Node marks a Timeout
 * `_destroyed` once it has fired or been cleared.
 */
export function watchTimers(...delays: number[]): TimerWatch {
  const timers: TimeoutInternals[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      const t = resource as TimeoutInternals;
      if (type === 'Timeout' && delays.includes(t._idleTimeout)) timers.push(t);
    },
  }).enable();
  return {
    created: () => timers.length,
    pending: () => timers.filter((t) => !t._destroyed).length,
    stop: () => void hook.disable(),
  };
}

/**
 * untilExists resolves once `file` exists: how a test learns that a child has
 * reached a point in its script. The deadline, stretched by `scaled()`, is a safety net, not a
 * timing assertion.
 */
export async function untilExists(file: string, deadlineMs = 20_000): Promise<void> {
  const stop = Date.now() + scaled(deadlineMs);
  while (!existsSync(file)) {
    if (Date.now() > stop) throw new Error(`${file} did not appear`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
