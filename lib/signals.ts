/**
 * signals - signal names and numbers, as Node names them.
 */
import { constants } from 'node:os';
import { invalidArgValue, invalidArgType } from './errors';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, n] of Object.entries(byName)) {
  if (!byNumber.has(n)) byNumber.set(n, name);
}

/** signalName returns the name of a signal number ('SIGKILL'), or null. */
export function signalName(signo: number): string | null {
  return byNumber.get(signo) ?? null;
}

/**
 * toSignal validates a signal given by name or number and returns its
 * number; 0 is allowed (it checks that the process exists).
 */
export function toSignal(signal: unknown, what = 'signal'): number {
  if (typeof signal === 'number') {
    if (Number.isInteger(signal) && (signal === 0 || byNumber.has(signal))) return signal;
    throw invalidArgValue(what, signal, 'is not a known signal number');
  }
  if (typeof signal === 'string') {
    const n = byName[signal];
    if (n !== undefined) return n;
    throw invalidArgValue(what, signal, "is not a known signal name such as 'SIGTERM'");
  }
  throw invalidArgType(what, 'string or number', signal);
}
