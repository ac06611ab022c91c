/**
 * login - the environment of a new identity: HOME, USER, LOGNAME and SHELL
 * of the uid's passwd entry, as runuser sets them, looked up before the
 * spawn (the child may not look anything up).
 */
import { native } from './native';

const loginNames = ['HOME', 'USER', 'LOGNAME', 'SHELL'] as const;

/**
 * loginEnv returns a copy of env with HOME, USER, LOGNAME and SHELL of
 * uid's passwd entry (SHELL /bin/sh where the entry has none), or without
 * them when uid has no entry, so that no variable of this process's user
 * reaches the new one; a variable that the caller's own `env` option sets
 * is kept. It returns null, env being left as it is, when uid is not given
 * or is this process's own.
 */
export function loginEnv(uid: unknown, given: unknown, env: Record<string, unknown>): Record<string, unknown> | null {
  if (typeof uid !== 'number' || uid === process.getuid?.()) return null;
  const entry = native.passwd(uid);
  const values = entry === null ? null : [entry[1], entry[0], entry[0], entry[2] || '/bin/sh'];
  const out: Record<string, unknown> = { ...env };
  loginNames.forEach((name, i) => {
    if (typeof given === 'object' && given !== null && Object.hasOwn(given, name)) return;
    if (values === null) delete out[name];
    else out[name] = values[i];
  });
  return out;
}
