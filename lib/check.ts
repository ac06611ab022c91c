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

/**
 * Keys is one `true` per option of an options type T, every one of them
 * and no other: the compiler checks a list of option names against the
 * type it names, so that an option added to the type cannot be forgotten.
 */
export type Keys<T> = { readonly [K in keyof Required<T>]: true };

/** OptionNames are the option names one export takes, for refuseUnknown. */
export interface OptionNames {
  /** of names the export in messages: 'runPrivate'. */
  readonly of: string;
  readonly names: readonly string[];
}

/** optionNames lists the option names of the export `of`, checked against its options type T. */
export function optionNames<T>(of: string, keys: Keys<T>): OptionNames {
  return { of, names: Object.keys(keys) };
}

/**
 * The edit distance of a and b, ignoring case: insertions, deletions,
 * substitutions and swaps of two neighbours (`cdw` for `cwd`), one each.
 */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/** closestName is the name nearest to `name`, if it is near enough to be what was meant, else null. */
export function closestName(name: string, names: readonly string[]): string | null {
  // Farther than this (two edits, fewer for a short name) it is another word, not a typo.
  let bestDistance = Math.min(2, Math.ceil(name.length / 2) - 1) + 1;
  let best: string | null = null;
  for (const candidate of names) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * refuseUnknown throws ERR_INVALID_ARG_VALUE for the first option in
 * `options` that is not one of `known`, naming the closest known one ("did
 * you mean 'encoding'?") or, when none is close, listing them. Names in
 * `accepted` (the refused names of child_process and execa, checked
 * before) and options whose value is undefined, which ask for nothing, are
 * let through.
 */
export function refuseUnknown(options: Options, known: OptionNames, accepted: readonly string[] = []): void {
  for (const name of Object.keys(options)) {
    if (known.names.includes(name) || accepted.includes(name) || options[name] === undefined) continue;
    const near = closestName(name, known.names);
    const hint = near === null ? `its options are ${known.names.join(', ')}` : `did you mean '${near}'?`;
    throw invalidArgValue(`options.${name}`, options[name], `is not an option of ${known.of} (${hint})`);
  }
}
