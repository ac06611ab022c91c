/**
 * waitpid - the host program's own waitpid, which never takes a private status.
 */
import { checkBoolean, checkInteger, checkOptions, optionNames, refuseUnknown } from './check';
import { systemError } from './errors';
import { native } from './native';
import { ProcessStatus } from './status';

/** WaitpidOptions are the options of waitpid. */
export interface WaitpidOptions {
  /** nohang returns null at once when no child has exited yet (WNOHANG); default false. */
  nohang?: boolean;
}

const known = optionNames<WaitpidOptions>('waitpid', { nohang: true });

/**
 * waitpid reaps a child of this process like waitpid(2): `pid` -1 for any
 * child, a pid for that child, 0 or -pgid for a process group. It never
 * returns a private child's status: a private child it finds exited is
 * reaped for its own handle and the wait goes on, and a private pid or a
 * process with only private children left gets ECHILD. With `nohang` it
 * returns null when no child has exited yet; otherwise it blocks the thread.
 * Its arguments are checked first: a pid that is not a 32-bit integer, or
 * options that are not an object (null is {}) or a nohang that is not a
 * boolean, throw ERR_INVALID_ARG_TYPE or ERR_OUT_OF_RANGE without waiting,
 * and an unknown option name ERR_INVALID_ARG_VALUE.
 */
export function waitpid(pid: number, options?: WaitpidOptions): ProcessStatus | null {
  checkInteger('pid', pid, -(2 ** 31), 2 ** 31 - 1);
  const o = checkOptions(options);
  refuseUnknown(o, known);
  const nohang = checkBoolean('options.nohang', o.nohang);
  const r = native.waitpid(pid, nohang);
  if (r === null) return null;
  if (typeof r === 'number') throw systemError('waitpid', r);
  return new ProcessStatus(r);
}
