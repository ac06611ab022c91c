/**
 * Watching processes that are not our children, by pid, in tests.
 */
import { readFileSync } from 'node:fs';
import { scaled } from './time.mjs';

/** processState is the state letter of /proc/<pid>/stat ('S', 'Z', ...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/**
 * untilGone resolves true once pid no longer exists, or false after a
 * generous deadline, stretched by `scaled()` (a safety net against hanging, not a timing assertion).
 */
export async function untilGone(pid: number, deadlineMs = 20_000): Promise<boolean> {
  const stop = Date.now() + scaled(deadlineMs);
  while (Date.now() < stop) {
    if (processState(pid) === null) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * blockUntil keeps this thread, and so its event loop, busy until `done()` is true: what happens
 * meanwhile waits, unseen, for the next turn of the loop. It returns false after a generous
 * deadline, stretched by `scaled()` (a safety net against hanging, not a timing assertion).
 */
export function blockUntil(done: () => boolean, deadlineMs = 20_000): boolean {
  const stop = Date.now() + scaled(deadlineMs);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!done()) {
    if (Date.now() > stop) return false;
    Atomics.wait(nap, 0, 0, 5);
  }
  return true;
}

/**
 * blockUntilExited blocks (see blockUntil) until pid has exited: it is a zombie, or gone once its
 * parent reaped it. The exit has happened, and the event loop has not seen it yet.
 */
export function blockUntilExited(pid: number): boolean {
  return blockUntil(() => {
    const state = processState(pid);
    return state === null || state === 'Z';
  });
}
