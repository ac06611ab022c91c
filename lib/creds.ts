/**
 * creds - the identity options (uid, gid, groups, umask, dieWithParent),
 * checked and packed for the addon.
 */
import { checkInteger, mapOwn, type Options } from './check';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import { toSignal } from './signals';

const UNCHANGED = -1;
const MAX_ID = 2 ** 32 - 2; // (uid_t)-1 means "unchanged" to the kernel
const MAX_GROUPS = 65536;

function checkId(name: string, value: unknown): number {
  if (value === undefined || value === null) return UNCHANGED;
  return checkInteger(name, value, 0, MAX_ID);
}

function checkGroups(groups: unknown): number[] | null {
  if (groups === undefined || groups === null) return null;
  if (!Array.isArray(groups)) throw invalidArgType('options.groups', 'Array', groups);
  if (groups.length > MAX_GROUPS) throw outOfRange('options.groups.length', `<= ${MAX_GROUPS}`, groups.length);
  // Unlike uid and gid, an entry cannot be left out: there is no "unchanged" group.
  return mapOwn(groups, (g, i) => checkInteger(`options.groups[${i}]`, g, 0, MAX_ID));
}

function checkUmask(mask: unknown): number {
  if (mask === undefined || mask === null) return UNCHANGED;
  let value = mask;
  if (typeof mask === 'string') {
    if (!/^[0-7]{1,4}$/.test(mask)) throw invalidArgValue('options.umask', mask, 'must be an octal string');
    value = parseInt(mask, 8);
  }
  if (typeof value !== 'number') throw invalidArgType('options.umask', 'number or string', mask);
  if (!Number.isInteger(value) || value < 0 || value > 0o777)
    throw outOfRange('options.umask', '>= 0 and <= 0o777', mask);
  return value;
}

function checkDieWithParent(value: unknown): number {
  if (value === undefined || value === null || value === false) return 0;
  if (value === true) return toSignal('SIGKILL');
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw invalidArgType('options.dieWithParent', 'boolean, string or number', value);
  }
  const signo = toSignal(value, 'options.dieWithParent');
  if (signo === 0) throw invalidArgValue('options.dieWithParent', value, 'must be a signal, not 0');
  return signo;
}

/**
 * checkCreds validates the identity options and returns
 * [uid, gid, umask, pdeathsig, ngroups, ...groups] (-1: unchanged), or null
 * when none is given.
 */
export function checkCreds(o: Options): number[] | null {
  const uid = checkId('options.uid', o.uid);
  const gid = checkId('options.gid', o.gid);
  const groups = checkGroups(o.groups);
  const umask = checkUmask(o.umask);
  const pdeathsig = checkDieWithParent(o.dieWithParent);
  if (uid === UNCHANGED && gid === UNCHANGED && groups === null && umask === UNCHANGED && pdeathsig === 0) {
    return null;
  }
  return [uid, gid, umask, pdeathsig, groups === null ? UNCHANGED : groups.length, ...(groups ?? [])];
}
