/**
 * compat/options - child_process's spawn options, turned into
 * spawnPrivate's.
 *
 * What child_process does itself (timeout, killSignal and signal, so that
 * `killed` and the AbortError 'error' come as there) stays here; what it
 * takes but ignores on this platform (encoding, maxBuffer, input,
 * windowsHide, windowsVerbatimArguments) is dropped; everything else, this
 * package's own options included (backend, isolation, uid, ...), goes to
 * spawnPrivate, which checks it.
 */
import { checkOptions } from '../check';
import { invalidArgType, invalidArgValue, outOfRange, withCode } from '../errors';
import type { SpawnPrivateOptions, StdioOption } from '../options';
import { native } from '../native';
import { withShell } from '../shell';
import { constants } from 'node:os';
import { inspect } from 'node:util';

/** SpawnOptions are child_process's spawn options plus this package's (see SpawnPrivateOptions). */
export interface SpawnOptions extends Omit<SpawnPrivateOptions, 'stdio'> {
  /** stdio is child_process's: 'pipe', 'inherit', 'ignore', 'overlapped' (a pipe here), 'ipc', fds, streams. */
  stdio?: StdioOption | 'overlapped' | ReadonlyArray<StdioOption | 'overlapped' | 'ipc' | null | undefined>;
  /** encoding is taken and ignored by spawn(), as child_process does; execFile() decodes with it. */
  encoding?: BufferEncoding | 'buffer' | null;
  /** windowsHide has no effect outside Windows. */
  windowsHide?: boolean;
  /** windowsVerbatimArguments has no effect outside Windows. */
  windowsVerbatimArguments?: boolean;
}

/** unknownSignal is child_process's ERR_UNKNOWN_SIGNAL. */
export function unknownSignal(signal: unknown): TypeError & { code: string } {
  return withCode(new TypeError(`Unknown signal: ${String(signal)}`), 'ERR_UNKNOWN_SIGNAL');
}

/** checkSignal gives a signal's number, as child_process checks a kill(): 0, a signal's number, or its name in any case. */
export function checkSignal(signal: unknown, name = 'signal'): number {
  if (typeof signal === 'number') {
    if (signal === 0 || Object.values(constants.signals).includes(signal)) return signal;
    throw unknownSignal(signal);
  }
  if (typeof signal === 'string') {
    const upper = signal.toUpperCase();
    if (!Object.hasOwn(constants.signals, upper)) throw unknownSignal(signal);
    return (constants.signals as Record<string, number>)[upper];
  }
  throw invalidArgType(name, 'string or number', signal);
}

/** checkKillSignal is a killSignal option's number, checked as checkSignal; 0 is refused, nothing (or null) is SIGTERM. */
export function checkKillSignal(signal: unknown): number {
  if (signal === undefined || signal === null) return constants.signals.SIGTERM;
  if (signal === 0) throw unknownSignal(signal);
  return checkSignal(signal, 'options.killSignal');
}

/** checkMaxBuffer is child_process's: a number >= 0 (Infinity too, fractions too), or nothing for 1 MiB. */
export function checkMaxBuffer(value: unknown): number {
  if (value === undefined || value === null) return MAX_BUFFER;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw outOfRange('options.maxBuffer', 'a positive number', value);
  }
  return value;
}

/**
 * checkNodeOptions checks what child_process checks otherwise than the main
 * API: windowsHide and windowsVerbatimArguments (no effect here) must be
 * booleans, and a uid or gid that is not an int32 is ERR_INVALID_ARG_TYPE
 * (the main API then checks the range).
 */
export function checkNodeOptions(o: Record<string, unknown>): void {
  for (const name of ['windowsHide', 'windowsVerbatimArguments']) {
    if (o[name] !== undefined && o[name] !== null && typeof o[name] !== 'boolean') {
      throw invalidArgType(`options.${name}`, 'boolean', o[name]);
    }
  }
  for (const name of ['uid', 'gid']) {
    const id = o[name];
    if (id !== undefined && id !== null && (typeof id !== 'number' || (id | 0) !== id)) {
      throw invalidArgType(`options.${name}`, 'int32', id);
    }
  }
}

/** What child_process takes and ignores in spawn() on this platform. */
const IGNORED = ['encoding', 'maxBuffer', 'input', 'windowsHide', 'windowsVerbatimArguments'];
const MAX_DELAY = 2 ** 32 - 1;
/** MAX_BUFFER is child_process's default maxBuffer, 1 MiB. */
const MAX_BUFFER = 1024 * 1024;

/** Prepared is a spawn() call ready for spawnPrivate, and what ChildProcess keeps of it. */
export interface Prepared {
  options: SpawnPrivateOptions;
  spawnfile: string;
  spawnargs: string[];
  /** pipes tells which of fds 0–2 are 'pipe', for the streams of a child that did not start. */
  pipes: boolean[];
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

function slots(stdio: unknown): unknown[] {
  if (stdio === undefined || stdio === null) return ['pipe', 'pipe', 'pipe'];
  if (!Array.isArray(stdio)) return [stdio, stdio, stdio];
  return stdio.map((s) => (s === 'overlapped' ? 'pipe' : s));
}

/** checkTimeout is child_process's: anything but an unsigned integer (or nothing) is out of range. */
export function checkTimeout(timeout: unknown): number {
  if (timeout === undefined || timeout === null) return 0;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_DELAY) {
    throw outOfRange('timeout', 'an unsigned integer', timeout);
  }
  return timeout;
}

/**
 * checkNullBytes refuses a string with a NUL byte as child_process words it
 * (a NUL would end the string the child gets).
 */
export function checkNullBytes(name: string, value: unknown): void {
  if (typeof value === 'string' && value.includes('\0')) {
    throw invalidArgValue(name, value, 'must be a string or Uint8Array without null bytes');
  }
}

/** The options child_process takes as not given when they are null, where the main API's checks refuse a null. */
const NULL_IS_UNSET = ['cwd', 'detached', 'uid', 'gid', 'shell', 'argv0', 'env'];

/**
 * dropUnset drops the options that child_process takes as not given: those
 * of NULL_IS_UNSET given as null (`detached: null`, ...), and an empty cwd
 * (child_process does not chdir to ''), where the main API's checks refuse them.
 */
export function dropUnset(options: Record<string, unknown>): Record<string, unknown> {
  const given = ([k, v]: [string, unknown]): boolean =>
    !(v === null && NULL_IS_UNSET.includes(k)) && !(k === 'cwd' && v === '');
  return Object.fromEntries(Object.entries(options).filter(given));
}

/** checkSerialization refuses what child_process refuses, worded as it words it: anything but 'json' or 'advanced'. */
function checkSerialization(value: unknown): void {
  if (value === undefined || value === 'json' || value === 'advanced') return;
  const reason = `must be one of: undefined, 'json', 'advanced'. Received ${inspect(value)}`;
  throw withCode(new TypeError(`The property 'options.serialization' ${reason}`), 'ERR_INVALID_ARG_VALUE');
}

/** spawnPrivateOptions checks spawn()'s own options and prepares the rest for spawnPrivate. */
export function spawnPrivateOptions(file: string, args: string[], options: unknown): Prepared {
  const o = checkOptions(options);
  const timeout = checkTimeout(o.timeout);
  const killSignal = checkKillSignal(o.killSignal);
  checkNodeOptions(o);
  checkSerialization(o.serialization);
  const signal = o.signal ?? undefined;
  // As child_process checks it: any object with an `aborted` property (an EventTarget standing in for an AbortSignal).
  if (signal !== undefined && (typeof signal !== 'object' || !('aborted' in signal)))
    throw invalidArgType('options.signal', 'AbortSignal', signal);
  const stdio = slots(o.stdio);
  const rest: Record<string, unknown> = { ...dropUnset(o), stdio };
  for (const name of [...IGNORED, 'timeout', 'killSignal', 'signal']) delete rest[name];
  const shell = typeof file === 'string' ? withShell(file, args, o.shell, native.shellForm) : { file, args };
  const [spawnfile, shellArgs] = [shell.file, shell.args];
  const argv0 = typeof o.argv0 === 'string' ? o.argv0 : spawnfile;
  return {
    options: rest as SpawnPrivateOptions,
    spawnfile,
    spawnargs: [argv0, ...shellArgs],
    pipes: [0, 1, 2].map((i) => stdio[i] === 'pipe' || stdio[i] === undefined || stdio[i] === null),
    timeout,
    killSignal,
    signal: signal as AbortSignal | undefined,
  };
}
