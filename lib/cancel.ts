/**
 * cancel - stopping a child when its AbortSignal aborts or its timeout
 * passes, and escalating to SIGKILL when it outlives `killGraceMs`.
 *
 * spawnPrivate and runPrivate share it: spawnPrivate disarms it when the
 * child is reaped, runPrivate when its whole run (reap and both output
 * streams) is over, so that a timeout also bounds the reading of output
 * that a grandchild keeps open.
 */
import { stop, type PrivateHandle } from './handle';
import { toSignal } from './signals';

const SIGKILL = toSignal('SIGKILL');

/** CancelReason says what stopped a child. */
export type CancelReason = 'abort' | 'timeout';

/** CancelOptions are the normalized options armCancellation reads. */
export interface CancelOptions {
  signal: AbortSignal | null;
  /** detached children are stopped with their whole process group. */
  detached: boolean;
  timeout: number;
  killSignal: number;
  /** killGraceMs is the delay before SIGKILL follows killSignal, or null for never. */
  killGraceMs: number | null;
}

/** Cancellation is an armed abort listener, timeout and escalation for one child. */
export interface Cancellation {
  /**
   * kill sends killSignal to the child, once, and starts the escalation to
   * SIGKILL; later calls do nothing. A child already reaped is left alone.
   */
  kill(): void;
  /** disarm removes the abort listener and clears every timer; it is idempotent. */
  disarm(): void;
}

/**
 * armCancellation stops the child `h` with killSignal (its whole process
 * group when it is detached, while it is unreaped; the child alone when the
 * group cannot be signalled) when `o.signal` aborts
 * (at once if it already has) or `o.timeout` milliseconds pass, calling
 * `onCancel` first with the reason. When `o.killGraceMs` is set and the
 * child is still running that long after killSignal, it gets SIGKILL. The
 * timers are unref'd: a running child keeps the event loop alive by itself.
 * Nothing it does from its timers and listener throws.
 */
export function armCancellation(
  h: PrivateHandle,
  o: CancelOptions,
  onCancel?: (reason: CancelReason) => void,
): Cancellation {
  let killed = false;
  let armed = true;
  let timer: NodeJS.Timeout | null = null;
  let grace: NodeJS.Timeout | null = null;

  const kill = (): void => {
    if (killed || !armed) return;
    killed = true;
    // From a timer or a listener: stop() never throws, and falls back to the child alone.
    if (!stop(h, o.killSignal, o.detached)) return; // Reaped already: there is nothing left to stop.
    if (o.killGraceMs === null || o.killSignal === SIGKILL) return;
    grace = setTimeout(() => {
      grace = null;
      stop(h, SIGKILL, o.detached); // false when it died of killSignal meanwhile
    }, o.killGraceMs);
    grace.unref();
  };
  const cancel = (reason: CancelReason): void => {
    if (!armed) return;
    onCancel?.(reason);
    kill();
  };
  const onAbort = (): void => cancel('abort');
  const disarm = (): void => {
    armed = false;
    o.signal?.removeEventListener('abort', onAbort);
    if (timer !== null) clearTimeout(timer);
    if (grace !== null) clearTimeout(grace);
    timer = grace = null;
  };

  if (o.signal !== null) {
    if (o.signal.aborted) cancel('abort');
    else o.signal.addEventListener('abort', onAbort, { once: true });
  }
  if (o.timeout > 0 && !killed) {
    timer = setTimeout(() => {
      timer = null;
      cancel('timeout');
    }, o.timeout);
    timer.unref();
  }
  return { kill, disarm };
}
