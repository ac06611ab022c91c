/**
 * handle-hooks - what the rest of the package does to a PrivateHandle that
 * its users cannot: deliver the reap, mark an adopted ChildProcess, run
 * clean-ups when it settles, stop it from a timer, take its raw fds.
 *
 * PrivateHandle fills `hooks` in its static block with functions that reach
 * its #private members; the package does not export this module. It names
 * the handle's type without importing handle.ts, which imports it: the
 * hooks are methods, so the static block's functions may take the class.
 */
import type { NativeHandle, StatusTuple } from './backend';

/** @internal PrivateHandle is a PrivateHandle (handle.ts), seen here as an object. */
type PrivateHandle = object;

/** @internal hooks are filled in by PrivateHandle's static block. */
export const hooks = {} as {
  settle(h: PrivateHandle, result: StatusTuple | number): void;
  markReapedElsewhere(h: PrivateHandle): void;
  addSettleHook(h: PrivateHandle, fn: () => void): void;
  takeRaw(h: PrivateHandle): { native: NativeHandle; fds: number[] };
  stop(h: PrivateHandle, signo: number, group: boolean): boolean;
};

/** @internal settle delivers the result of the reap: a status tuple, or -errno when it was lost. */
export function settle(h: PrivateHandle, result: StatusTuple | number): void {
  hooks.settle(h, result);
}

/** @internal reapedByChildProcess marks an adopted ChildProcess, whose status child_process reaps. */
export function reapedByChildProcess(h: PrivateHandle): void {
  hooks.markReapedElsewhere(h);
}

/** @internal onSettle runs fn once the child is reaped or lost (timers, abort listeners). */
export function onSettle(h: PrivateHandle, fn: () => void): void {
  hooks.addSettleHook(h, fn);
}

/**
 * @internal stop sends signo (to the group first when `group`) on the
 * caller's behalf, from a timer or a listener: it never throws, and falls
 * back to the child alone when the group kill fails. False once the child
 * is known to be gone.
 */
export function stop(h: PrivateHandle, signo: number, group: boolean): boolean {
  return hooks.stop(h, signo, group);
}

/**
 * @internal raw hands over, once, the fds of a handle made with `streams:
 * false`, with its native handle, for a synchronous run to drive.
 */
export function raw(h: PrivateHandle): { native: NativeHandle; fds: number[] } {
  return hooks.takeRaw(h);
}
