/**
 * env - the child's environment from the `env` option, read as
 * child_process reads it (for...in: own and inherited enumerable keys) but
 * never from Object.prototype, so that a polluted prototype cannot reach a
 * child.
 */
import { checkOptions, type Options } from './check';
import { invalidArgValue } from './errors';

/**
 * checkEnv copies the `env` option into a null-prototype object: its own
 * enumerable keys and those it inherits, each with the value of its
 * nearest holder, as for...in and env[key] read them, from every prototype
 * up to Object.prototype, which is left out. A key that a nearer object
 * holds as non-enumerable is left out, as for...in leaves it. Undefined
 * and null give process.env; anything but an object throws
 * ERR_INVALID_ARG_TYPE.
 */
export function checkEnv(env: unknown): Record<string, unknown> {
  if (env === undefined || env === null) return process.env;
  const copy = checkOptions(env, 'options.env');
  const seen = new Set(Object.getOwnPropertyNames(env));
  for (let o = Object.getPrototypeOf(env) as object | null; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (o === Object.prototype) break;
    for (const key of Object.getOwnPropertyNames(o)) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (Object.prototype.propertyIsEnumerable.call(o, key)) (copy as Options)[key] = Reflect.get(o, key, env);
    }
  }
  return copy;
}

/** envBlock is the child's environment as `KEY=value` strings; undefined values are left out. */
export function envBlock(env: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value === undefined) continue;
    let text: string;
    try {
      text = String(value);
    } catch {
      // An object without a usable toString (null prototype, or one that throws).
      throw invalidArgValue(`options.env.${key}`, value, 'must be a string or convertible to one');
    }
    const entry = `${key}=${text}`;
    if (entry.includes('\0')) {
      throw invalidArgValue('options.env', entry, 'must not contain null bytes');
    }
    out.push(entry);
  }
  return out;
}
