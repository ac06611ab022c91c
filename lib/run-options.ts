/**
 * run-options - the options of runPrivate and runPrivateSync, the types of
 * what they return, and the one check of their options. Their result and
 * error are run-result.ts's.
 */
import type { Readable, Writable } from 'node:stream';
import { checkBoolean, checkOptions, mapOwn, optionNames, type Keys } from './check';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import type { KillOptions } from './kill-options';
import { normalizeOptions, spawnKeys, splitArgs, type Normalized, type SpawnPrivateOptions } from './options';
import type { RunOutput } from './output';
import type { RunChecked, RunInput, RunResult } from './run-result';

export type { RunOutput } from './output';
export type { RunChecked, RunInput, RunResult } from './run-result';

/** RunPrivateOptions are spawnPrivate's options plus those of the capture. */
export interface RunPrivateOptions extends SpawnPrivateOptions {
  /**
   * encoding decodes stdout and stderr: any BufferEncoding gives strings
   * (default 'utf8'); 'buffer' or null gives Buffers.
   */
  encoding?: BufferEncoding | 'buffer' | null;
  /**
   * input is written to the child's stdin, which is then closed: a string
   * (as UTF-8), a Buffer or Uint8Array, or a Readable, piped and never
   * destroyed by the run. Without it stdin is 'ignore' (/dev/null) unless
   * `stdio` says otherwise; a stdin 'pipe' without input is closed at once.
   */
  input?: RunInput;
  /**
   * maxBuffer is the most bytes kept from stdout and from stderr, each
   * (default 100 MiB; Infinity for no limit). One more byte stops the
   * child with killSignal and rejects with ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
   */
  maxBuffer?: number;
  /**
   * reject makes a child that did not exit 0 (a non-zero exit code, or a
   * signal) reject with ERR_PRIVATE_PROCESS_FAILED (default true, as with
   * execa and a promisified execFile). With false such a run resolves and
   * its status says how the child ended; a run that could not start, was
   * aborted, timed out or overflowed maxBuffer rejects either way.
   */
  reject?: boolean;
  /**
   * stripFinalNewline removes one final newline ('\n' or '\r\n') from text
   * output, as a shell's `$(...)` does (default true, as with execa).
   * Buffers are never changed.
   */
  stripFinalNewline?: boolean;
  /**
   * lines gives stdout, stderr and all as arrays of lines (without their
   * newlines when stripFinalNewline, with them otherwise); it needs a text
   * encoding (default false).
   */
  lines?: boolean;
  /**
   * all also gives `all`: stdout and stderr interleaved in the order their
   * chunks were read (default false). Two pipes carry them, so writes the
   * child made close together may come out in either order.
   */
  all?: boolean;
}

/**
 * RunPrivateSyncOptions are runPrivate's, but `input` cannot be a stream
 * and there is no `signal`: nothing can run while the thread is blocked.
 */
export interface RunPrivateSyncOptions extends Omit<RunPrivateOptions, 'input' | 'signal'> {
  /** input is written to the child's stdin, which is then closed: a string (as UTF-8), a Buffer or a Uint8Array. */
  input?: string | Uint8Array;
}

/**
 * PrivateSubprocess is what runPrivate returns: a Promise of the run's
 * result (it settles exactly as the run does, and `await` gives the same
 * result object) that is also the live child.
 */
export interface PrivateSubprocess<T extends RunOutput = RunOutput, All extends boolean = boolean> extends Promise<
  RunResult<T, All>
> {
  /** pid is the child's pid, or null when it could not be started. */
  readonly pid: number | null;
  /**
   * stdin is a stream to the child's fd 0 when it is a pipe that the run
   * does not write `input` to, taken in the same tick as the runPrivate
   * call (a stdin pipe nobody takes is closed then, as before); else null.
   * End it when the child must see the end of its input.
   */
  readonly stdin: Writable | null;
  /**
   * stdout is a stream of the child's fd 1 when it is a pipe, else null:
   * every byte from the first, while the child runs, whether it is read or
   * not (the result gets them all too, decoded and limited by the run's own
   * options; setEncoding() or pause() here changes nothing there). The
   * stream is made on the first read of the property: a run nobody reads
   * keeps one copy of its output only.
   */
  readonly stdout: Readable | null;
  /** stderr is stdout's counterpart for the child's fd 2. */
  readonly stderr: Readable | null;
  /**
   * kill signals the child as PrivateHandle.kill does (default 'SIGTERM'):
   * true when sent, false once the child has exited or when it never
   * started. A child it kills fails the run ('Command was killed with
   * SIGTERM') unless `reject: false`.
   */
  kill(signal?: NodeJS.Signals | number, options?: KillOptions): boolean;
  /** wait resolves with the run's result or rejects with its error, as await does; every call gets the same Promise. */
  wait(): Promise<RunResult<T, All>>;
  /**
   * pipe connects this run's stdout to the stdin of another run, given as
   * a subprocess of runPrivate (started with stdio[0] 'pipe' and no input,
   * in the same tick) or as runPrivate's file, args and options (without
   * input; stdin is made a pipe). It returns the pipeline: the
   * destination's subprocess, whose promise settles once both runs have,
   * as a shell's `a | b` with pipefail: with the destination's result
   * (pipedFrom holds this run's result or error); with the destination's
   * error when it failed; else with this run's error when it failed, unless
   * the destination stopped reading first and this run then died of SIGPIPE
   * or exited non-zero (EPIPE): that only ends a source early. Bad
   * arguments throw synchronously.
   */
  pipe: PipeSignatures;
}

/** PipeSignatures types pipe(): to a subprocess, or to a run of a file, typed by its options as runPrivate is. */
type PipeSignatures = (<D extends RunOutput, A extends boolean>(
  destination: PrivateSubprocess<D, A>,
) => PrivateSubprocess<D, A>) &
  RunSignatures<false, Omit<RunPrivateOptions, 'input'>>;

type Wrap<Sync extends boolean, T extends RunOutput, All extends boolean = boolean> = Sync extends true
  ? RunResult<T, All>
  : PrivateSubprocess<T, All>;
type All<O> = O & { all: true };
type Text<O> = O & { encoding?: BufferEncoding; lines?: false };
type Bytes<O> = O & { encoding: 'buffer' | null; lines?: false };
type Lines<O> = O & { encoding?: BufferEncoding; lines: true };

/**
 * RunSignatures types a run function by its options: strings by default or
 * with a text encoding, Buffers with 'buffer' or null, arrays with `lines`;
 * `all: true` makes `all` one of them too, never undefined. Options may take
 * the place of args.
 */
export interface RunSignatures<Sync extends boolean, O> {
  (file: string, args: readonly string[] | undefined, options: Text<All<O>>): Wrap<Sync, string, true>;
  (file: string, options: Text<All<O>>): Wrap<Sync, string, true>;
  (file: string, args: readonly string[] | undefined, options: Bytes<All<O>>): Wrap<Sync, Buffer, true>;
  (file: string, options: Bytes<All<O>>): Wrap<Sync, Buffer, true>;
  (file: string, args: readonly string[] | undefined, options: Lines<All<O>>): Wrap<Sync, string[], true>;
  (file: string, options: Lines<All<O>>): Wrap<Sync, string[], true>;
  (file: string, args?: readonly string[], options?: Text<O>): Wrap<Sync, string>;
  (file: string, options: Text<O>): Wrap<Sync, string>;
  (file: string, args: readonly string[] | undefined, options: Bytes<O>): Wrap<Sync, Buffer>;
  (file: string, options: Bytes<O>): Wrap<Sync, Buffer>;
  (file: string, args: readonly string[] | undefined, options: Lines<O>): Wrap<Sync, string[]>;
  (file: string, options: Lines<O>): Wrap<Sync, string[]>;
  (file: string, args?: readonly string[], options?: O): Wrap<Sync, RunOutput>;
  (file: string, options?: O): Wrap<Sync, RunOutput>;
}

// The names of RunPrivateOptions and RunPrivateSyncOptions; a new option is added here too.
const runKeys: Keys<RunPrivateOptions> = {
  ...spawnKeys,
  encoding: true,
  input: true,
  maxBuffer: true,
  reject: true,
  stripFinalNewline: true,
  lines: true,
  all: true,
};
const { signal: _noSignal, ...runSyncKeys } = runKeys;
const runNames = optionNames<RunPrivateOptions>('runPrivate', runKeys);
const runSyncNames = optionNames<RunPrivateSyncOptions>('runPrivateSync', runSyncKeys);

const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;

function checkEncoding(encoding: unknown): BufferEncoding | null {
  if (encoding === undefined) return 'utf8';
  if (encoding === null || encoding === 'buffer') return null;
  if (typeof encoding !== 'string') throw invalidArgType('options.encoding', 'string', encoding);
  if (!Buffer.isEncoding(encoding)) {
    throw invalidArgValue('options.encoding', encoding, "must be a Buffer encoding such as 'utf8', or 'buffer'");
  }
  return encoding;
}

function checkInput(input: unknown, sync: boolean): RunInput | undefined {
  if (input === undefined || typeof input === 'string' || input instanceof Uint8Array) return input;
  const isStream = typeof input === 'object' && input !== null && typeof (input as Readable).pipe === 'function';
  if (isStream && sync) {
    throw invalidArgValue('options.input', input, 'cannot be a stream in runPrivateSync: read it into a Buffer first');
  }
  if (isStream) return input as Readable;
  throw invalidArgType(
    'options.input',
    sync ? 'string, Buffer or Uint8Array' : 'string, Buffer, Uint8Array or Readable',
    input,
  );
}

function checkMaxBuffer(max: unknown): number {
  if (max === undefined) return DEFAULT_MAX_BUFFER;
  if (typeof max !== 'number') throw invalidArgType('options.maxBuffer', 'number', max);
  if (max < 0 || !(Number.isInteger(max) || max === Infinity)) {
    throw outOfRange('options.maxBuffer', 'an integer >= 0 or Infinity', max);
  }
  return max;
}

/**
 * The stdio a run asks for: fd 0 'pipe' with input, else 'ignore'; fds 1
 * and 2 'pipe'; whatever the caller gave for a slot wins, but input needs
 * fd 0 to be a pipe and fds 3 and up cannot be pipes nobody reads.
 */
function runStdio(stdio: unknown, hasInput: boolean): unknown {
  if (stdio === undefined || stdio === null) stdio = [];
  else if (!Array.isArray(stdio)) stdio = [stdio, stdio, stdio];
  const slots = mapOwn(stdio as unknown[], (slot) => slot);
  slots[0] ??= hasInput ? 'pipe' : 'ignore';
  slots[1] ??= 'pipe';
  slots[2] ??= 'pipe';
  if (hasInput && slots[0] !== 'pipe') {
    throw invalidArgValue('options.stdio[0]', slots[0], "must be 'pipe' when options.input is given");
  }
  slots.forEach((slot, fd) => {
    if (fd > 2 && slot === 'pipe') {
      throw invalidArgValue(`options.stdio[${fd}]`, slot, 'cannot be a pipe: a run captures fds 1 and 2 only');
    }
  });
  return slots;
}

/**
 * checkRunOptions checks every argument of a run, before anything is
 * spawned, reading the options' own properties only (checkOptions).
 */
export function checkRunOptions(
  file: unknown,
  args: unknown,
  options: unknown,
  sync: boolean,
): [Normalized, RunChecked] {
  [args, options] = splitArgs(args, options);
  const o = checkOptions(options);
  const input = checkInput(o.input, sync);
  const run: RunChecked = {
    encoding: checkEncoding(o.encoding),
    input,
    maxBuffer: checkMaxBuffer(o.maxBuffer),
    reject: checkBoolean('options.reject', o.reject, true),
    strip: checkBoolean('options.stripFinalNewline', o.stripFinalNewline, true),
    lines: checkBoolean('options.lines', o.lines),
    all: checkBoolean('options.all', o.all),
  };
  if (run.lines && run.encoding === null) {
    throw invalidArgValue('options.lines', true, "needs a text encoding, not 'buffer'");
  }
  const stdio = runStdio(o.stdio, input !== undefined);
  const known = sync ? runSyncNames : runNames;
  return [normalizeOptions(file, args, { ...o, stdio }, sync ? 'sync' : 'run', known), run];
}
