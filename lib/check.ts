/**
 * check - the argument checks every export shares: options objects, the
 * arrays inside them, booleans, integers, choices, and the package's
 * environment settings.
 *
 * A caller's object is read from its own properties only, never through its
 * prototype, so that a polluted Object.prototype (`Object.prototype.uid =
 * 0`) or Array.prototype cannot reach a child, as Node's child_process
 * reads its options. Every export's options object goes through
 * checkOptions first, and each option through one validator.
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/** Options is an options object after checkOptions: the caller's own properties, on a null prototype. */
export type Options = Record<string, unknown>;

/**
 * checkOptions copies the own enumerable properties of an options object
 * into a null-prototype object, which is all that is read from then on;
 * undefined and null are taken as {}. Anything else (an array, a string, a
 * function) throws ERR_INVALID_ARG_TYPE.
 */
export function checkOptions(value: unknown, name = 'options'): Options {
  const copy = Object.create(null) as Options;
  if (value === undefined || value === null) return copy;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'Object', value);
  return Object.assign(copy, value);
}

/** ownValue is `object[key]` when it is the object's own property, else undefined. */
export function ownValue(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Options)[key] : undefined;
}

/**
 * mapOwn maps every index of an array in order, a hole read as undefined
 * rather than through Array.prototype; `fn` may throw at the first bad one.
 */
export function mapOwn<T>(array: readonly unknown[], fn: (value: unknown, index: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < array.length; i++) out.push(fn(Object.hasOwn(array, i) ? array[i] : undefined, i));
  return out;
}

/** envSetting is one of the package's environment variables (PRIVATE_PROCESS_...), or undefined. */
export function envSetting(name: string): string | undefined {
  return ownValue(process.env, name) as string | undefined;
}

/** checkBoolean returns a boolean option, `byDefault` when it is undefined; anything else throws. */
export function checkBoolean(name: string, value: unknown, byDefault = false): boolean {
  if (value === undefined) return byDefault;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value);
  return value;
}

/** checkInteger returns a number that is an integer from min to max; anything else throws. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/** checkOneOf returns a value that is one of `choices`; anything else throws, naming them. */
export function checkOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw invalidArgValue(name, value, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  }
  return value as T;
}
