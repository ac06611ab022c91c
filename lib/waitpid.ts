/**
 * waitpid - the host program's own waitpid, which never takes a private status.
 */
import { systemError } from './errors';
import { native } from './native';
import { ProcessStatus } from './status';

/** WaitpidOptions are the options of waitpid. */
export interface WaitpidOptions {
  /** nohang returns null at once when no child has exited yet (WNOHANG). */
  nohang?: boolean;
}

/**
 * waitpid reaps a child of this process like waitpid(2): `pid` -1 for any
 * child, a pid for that child, 0 or -pgid for a process group. It never
 * returns a private child's status: a private child it finds exited is
 * reaped for its own handle and the wait goes on, and a private pid or a
 * process with only private children left gets ECHILD. With `nohang` it
 * returns null when no child has exited yet; otherwise it blocks the thread.
 */
export function waitpid(pid: number, options: WaitpidOptions = {}): ProcessStatus | null {
  if (!Number.isInteger(pid) || pid < -(2 ** 31) || pid >= 2 ** 31) {
    throw Object.assign(new RangeError(`The value of "pid" is out of range. Received ${String(pid)}`), {
      code: 'ERR_OUT_OF_RANGE',
    });
  }
  const r = native.waitpid(pid, options.nohang === true);
  if (r === null) return null;
  if (typeof r === 'number') throw systemError('waitpid', r);
  return new ProcessStatus(r);
}
