/**
 * run - runPrivate, the execFile / Open3.capture3 of private children: run
 * a command to its end and collect its output and status.
 *
 * A run is over when the child has been reaped AND its stdout and stderr
 * have closed, so output written just before the exit, or by a descendant
 * that kept the pipe, is never lost. Abort, timeout and maxBuffer stop the
 * child, and the run still ends only once it has been reaped.
 */
import type { Readable, Writable } from 'node:stream';
import { armCancellation, type Cancellation } from './cancel';
import { Capture } from './capture';
import {
  abortError,
  commandFailed,
  formatCommand,
  invalidArgType,
  invalidArgValue,
  maxBufferExceeded,
  outOfRange,
  timedOut,
} from './errors';
import type { PrivateHandle } from './handle';
import { normalizeOptions, type Normalized, type SpawnPrivateOptions } from './options';
import { spawnNormalized } from './spawn';
import type { ProcessStatus } from './status';

/** RunInput is what runPrivate can write to the child's stdin. */
export type RunInput = string | Uint8Array | Readable;

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
   * (default 100 MiB; Infinity for no limit). One more byte kills the
   * child with killSignal and rejects with ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
   */
  maxBuffer?: number;
  /**
   * reject makes a child that did not exit 0 (a non-zero exit code, or a
   * signal) reject with ERR_PRIVATE_PROCESS_FAILED (default false: the
   * run resolves and its status says how the child ended).
   */
  reject?: boolean;
}

/** RunResult is a finished run: the captured output and how the child ended. */
export interface RunResult<T extends string | Buffer = string | Buffer> {
  /** pid is the child's pid, free for reuse by now. */
  pid: number;
  /** stdout is everything the child wrote to fd 1 ('' or empty when fd 1 was not 'pipe'). */
  stdout: T;
  /** stderr is everything the child wrote to fd 2 ('' or empty when fd 2 was not 'pipe'). */
  stderr: T;
  /** status is the child's ProcessStatus. */
  status: ProcessStatus;
  /** exitCode is status.exitCode. */
  exitCode: number | null;
  /** signal is status.signal. */
  signal: NodeJS.Signals | null;
}

/**
 * RunError is how runPrivate rejects once a child has run: `code` is
 * 'ERR_PRIVATE_PROCESS_FAILED' (reject: true), 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
 * (a RangeError), 'ABORT_ERR' (name 'AbortError', `cause` the signal's
 * reason), 'ETIMEDOUT' or 'ERR_PRIVATE_STATUS_LOST' (then `status` is null).
 * It carries what was captured and the status. An AbortError for a signal
 * that had aborted before the call carries only `cause`: nothing was run.
 */
export interface RunError<T extends string | Buffer = string | Buffer> extends Error {
  code: string;
  pid: number;
  stdout: T;
  stderr: T;
  status: ProcessStatus | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnargs: readonly string[];
}

/** The run options after their checks. */
interface RunChecked {
  encoding: BufferEncoding | null;
  input: RunInput | undefined;
  maxBuffer: number;
  reject: boolean;
}

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

function checkInput(input: unknown): RunInput | undefined {
  if (input === undefined || typeof input === 'string' || input instanceof Uint8Array) return input;
  if (typeof input === 'object' && input !== null && typeof (input as Readable).pipe === 'function')
    return input as Readable;
  throw invalidArgType('options.input', 'string, Buffer, Uint8Array or Readable', input);
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
 * The stdio runPrivate asks for: fd 0 'pipe' with input, else 'ignore';
 * fds 1 and 2 'pipe'; whatever the caller gave for a slot wins, but input
 * needs fd 0 to be a pipe and fds 3 and up cannot be pipes nobody reads.
 */
function runStdio(stdio: unknown, hasInput: boolean): unknown {
  if (stdio === undefined || stdio === null) stdio = [];
  else if (typeof stdio === 'string' || typeof stdio === 'number') stdio = [stdio, stdio, stdio];
  else if (!Array.isArray(stdio)) return stdio; // normalizeOptions reports it
  const slots = [...(stdio as unknown[])];
  slots[0] ??= hasInput ? 'pipe' : 'ignore';
  slots[1] ??= 'pipe';
  slots[2] ??= 'pipe';
  if (hasInput && slots[0] !== 'pipe') {
    throw invalidArgValue('options.stdio[0]', slots[0], "must be 'pipe' when options.input is given");
  }
  slots.forEach((slot, fd) => {
    if (fd > 2 && slot === 'pipe') {
      throw invalidArgValue(`options.stdio[${fd}]`, slot, 'cannot be a pipe: runPrivate captures fds 1 and 2 only');
    }
  });
  return slots;
}

function checkRunOptions(file: unknown, args: unknown, options: unknown): [Normalized, RunChecked] {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalidArgType('options', 'Object', options);
  const o = options as Record<string, unknown>;
  if (o.reject !== undefined && typeof o.reject !== 'boolean')
    throw invalidArgType('options.reject', 'boolean', o.reject);
  const input = checkInput(o.input);
  const run: RunChecked = {
    encoding: checkEncoding(o.encoding),
    input,
    maxBuffer: checkMaxBuffer(o.maxBuffer),
    reject: o.reject === true,
  };
  return [normalizeOptions(file, args, { ...o, stdio: runStdio(o.stdio, input !== undefined) }), run];
}

/** Writes the input to stdin (or closes it); returns the clean-up for the end of the run. */
function feed(stdin: Writable | null, input: RunInput | undefined, fail: (err: Error) => void): () => void {
  if (stdin === null) return () => undefined;
  // A child that exits without reading all of its input is not an error.
  stdin.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET' && err.code !== 'ERR_STREAM_DESTROYED') fail(err);
  });
  if (input === undefined || typeof input === 'string' || input instanceof Uint8Array) {
    stdin.end(input);
    return () => stdin.destroy();
  }
  input.on('error', fail);
  input.pipe(stdin);
  return () => {
    input.off('error', fail);
    input.unpipe(stdin);
    stdin.destroy();
  };
}

/** Follows one started child to the end of its run. */
function supervise(h: PrivateHandle, o: Normalized, run: RunChecked): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const command = formatCommand(o.file, o.args);
    let failure: Error | null = null;
    let status: ProcessStatus | null = null;
    let reaped = false;
    let stopped = false;
    let over = false;
    /** Stops the run with err: the child is killed, and its pipes dropped once it is reaped. */
    const fail = (err: Error): void => {
      if (over) return;
      failure ??= err;
      stopped = true;
      cancellation.kill();
      if (reaped) for (const c of captures) c.destroy();
    };
    const cancellation: Cancellation = armCancellation(h, o, (reason) =>
      fail(reason === 'abort' ? abortError(o.signal?.reason) : timedOut(command, o.timeout)),
    );
    const finish = (): void => {
      if (over || !reaped || !captures.every((c) => c.closed)) return;
      over = true;
      cancellation.disarm();
      unfeed();
      let stdout: string | Buffer, stderr: string | Buffer;
      try {
        [stdout, stderr] = captures.map((c) => c.result(run.encoding));
      } catch (err) {
        reject(err); // ERR_STRING_TOO_LONG: more than V8 can hold in one string
        return;
      }
      const result = {
        pid: h.pid,
        stdout,
        stderr,
        status,
        exitCode: status?.exitCode ?? null,
        signal: status?.signal ?? null,
      };
      if (failure === null && run.reject && status !== null && !status.success) {
        failure = commandFailed(command, status.exitCode !== null ? `exit ${status.exitCode}` : String(status.signal));
      }
      if (failure !== null) reject(Object.assign(failure, result, { spawnargs: h.spawnargs }));
      else resolve(result as RunResult);
    };
    const events = (name: 'stdout' | 'stderr') => ({
      overflow: () => fail(maxBufferExceeded(name)),
      error: fail,
      closed: finish,
    });
    const captures = [
      new Capture(h.stdout, run.maxBuffer, events('stdout')),
      new Capture(h.stderr, run.maxBuffer, events('stderr')),
    ];
    const unfeed = feed(h.stdin, run.input, fail);
    const reap = (): void => {
      reaped = true;
      if (stopped) for (const c of captures) c.destroy();
      finish();
    };
    h.wait().then(
      (s) => {
        status = s;
        reap();
      },
      (err: Error) => {
        failure ??= err; // the status was lost: the child is gone, its output is not
        reap();
      },
    );
  });
}

/**
 * runPrivate runs `file` with `args` as a private child to its end and
 * resolves with its output and status: `{ stdout, stderr, status, pid,
 * exitCode, signal }`. It takes spawnPrivate's options and `encoding`,
 * `input`, `maxBuffer` and `reject`; see RunPrivateOptions. The promise
 * settles only once the child has been reaped and both of its output
 * streams have closed. Bad arguments throw synchronously, before anything
 * is spawned, as in spawnPrivate; everything that happens to the run —
 * spawn errors (ENOENT...), abort, timeout, maxBuffer, `reject: true` —
 * rejects. A signal that has already aborted rejects with an AbortError
 * without starting the child.
 */
export function runPrivate(
  file: string,
  args?: readonly string[],
  options?: RunPrivateOptions & { encoding?: BufferEncoding },
): Promise<RunResult<string>>;
export function runPrivate(
  file: string,
  args: readonly string[] | undefined,
  options: RunPrivateOptions & { encoding: 'buffer' | null },
): Promise<RunResult<Buffer>>;
export function runPrivate(file: string, args?: readonly string[], options?: RunPrivateOptions): Promise<RunResult>;
export function runPrivate(file: string, args?: readonly string[], options?: RunPrivateOptions): Promise<RunResult> {
  const [o, run] = checkRunOptions(file, args, options);
  if (o.signal?.aborted) return Promise.reject(abortError(o.signal.reason));
  let h: PrivateHandle;
  try {
    h = spawnNormalized(o);
  } catch (err) {
    return Promise.reject(err);
  }
  return supervise(h, o, run);
}
