/**
 * run-result - how a run ends, as its caller sees it: the result it
 * resolves with (RunResult) or the error it rejects with (RunError), and
 * the checked options both are made from. The options (run-options.ts) and
 * the end of a run (run-end.ts) both take them from here.
 */
import type { Readable } from 'node:stream';
import { illegalConstructor, type SpawnStep } from './errors';
import type { RunOutput, Shaping } from './output';
import type { ProcessStatus } from './status';

/** RunInput is what runPrivate can write to the child's stdin. */
export type RunInput = string | Uint8Array | Readable;

/** RunChecked are the run options after their checks. */
export interface RunChecked extends Shaping {
  input: RunInput | undefined;
  maxBuffer: number;
  reject: boolean;
}

/**
 * RunResult is a finished run: the captured output and how the child ended.
 * `All` is true when the run's options said `all: true`, which types `all`
 * as T rather than T | undefined.
 */
export interface RunResult<T extends RunOutput = RunOutput, All extends boolean = boolean> {
  /** pid is the child's pid, free for reuse by now. */
  pid: number;
  /** stdout is everything the child wrote to fd 1 ('' or empty when fd 1 was not 'pipe'). */
  stdout: T;
  /** stderr is everything the child wrote to fd 2 ('' or empty when fd 2 was not 'pipe'). */
  stderr: T;
  /** all is stdout and stderr interleaved when the `all` option was set, else undefined. */
  all: All extends true ? T : T | undefined;
  /** status is the child's ProcessStatus. */
  status: ProcessStatus;
  /** exitCode is status.exitCode. */
  exitCode: number | null;
  /** signal is status.signal. */
  signal: NodeJS.Signals | null;
  /** command is the command line, quoted for a POSIX shell so that it can be pasted. */
  command: string;
  /** durationMs is how long the run took, from before the spawn to the end, in milliseconds. */
  durationMs: number;
  /**
   * pipedFrom holds, for the result of a pipe(), the result (or the error)
   * of the run piped into this one; empty otherwise.
   */
  pipedFrom: Array<RunResult | RunError>;
}

const brand = new WeakSet<Error>();

/**
 * RunError is how a run fails. `code` says why:
 * 'ERR_PRIVATE_PROCESS_FAILED' (did not exit 0), an errno code such as
 * 'ENOENT' (could not start: also `errno`, `syscall`, `path`, `step`, and
 * it is a SpawnError too), the backend's code when it cannot start the
 * child here ('ERR_PRIVATE_BACKEND_UNAVAILABLE', 'ERR_NOT_SUPPORTED':
 * `cause` its error), 'ABORT_ERR' (name 'AbortError', `cause` the signal's
 * reason, which the message says after the command), 'ETIMEDOUT',
 * 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' (a RangeError too),
 * 'ERR_PRIVATE_PROCESS_IO' (reading output or writing input failed:
 * `cause`) or 'ERR_PRIVATE_STATUS_LOST'. It carries what was captured
 * ('' or empty Buffers when nothing was), and null status fields when the
 * child never ran or its status was lost. The message is the
 * shortMessage, then the last lines of stderr. `instanceof RunError` is
 * true for exactly the errors runPrivate rejects with and runPrivateSync
 * throws, made by either entry point, as isRunError says. Only the package
 * makes them.
 */
export class RunError<T extends RunOutput = RunOutput> extends Error {
  /** code says why the run failed (see RunError). */
  declare code: string;
  /** pid is the child's pid, or null when it never started. */
  declare pid: number | null;
  /** stdout is what the child wrote to fd 1 before the run failed. */
  declare stdout: T;
  /** stderr is what the child wrote to fd 2 before the run failed. */
  declare stderr: T;
  /** all is stdout and stderr interleaved when the `all` option was set, else undefined. */
  declare all: T | undefined;
  /** status is the child's ProcessStatus, or null when it never ran or its status was lost. */
  declare status: ProcessStatus | null;
  /** exitCode is status.exitCode, or null. */
  declare exitCode: number | null;
  /** signal is status.signal, or null. */
  declare signal: NodeJS.Signals | null;
  /** spawnargs are the child's argv, argv[0] first. */
  declare spawnargs: readonly string[];
  /** command is the command line, quoted for a POSIX shell so that it can be pasted. */
  declare command: string;
  /** shortMessage is the message without the stderr lines: what failed, and the command. */
  declare shortMessage: string;
  /** durationMs is how long the run took, in milliseconds. */
  declare durationMs: number;
  /** pipedFrom is RunResult's: the run piped into this one, for the error of a pipe(). */
  declare pipedFrom: Array<RunResult | RunError>;
  /** errno is the negative error number of a child that could not start. */
  declare errno?: number;
  /** syscall is 'spawn <file>' for a child that could not start. */
  declare syscall?: string;
  /** path is the file that could not start. */
  declare path?: string;
  /** step is the part of the child's set-up that failed, for a child that could not start. */
  declare step?: SpawnStep;

  /** RunErrors are made by the package only: the constructor throws ERR_ILLEGAL_CONSTRUCTOR. */
  private constructor() {
    super();
    throw illegalConstructor('RunError');
  }

  /** Symbol.hasInstance makes `instanceof RunError` what isRunError says. */
  static override [Symbol.hasInstance](value: unknown): value is RunError {
    return isRunError(value);
  }
}

/**
 * isRunError is true for an error that runPrivate rejected with or
 * runPrivateSync threw once the child was (or could not be) started:
 * every one of them, and nothing else, carries the fields of RunError.
 */
export function isRunError(value: unknown): value is RunError {
  return typeof value === 'object' && value !== null && brand.has(value as Error);
}

/** markRunError makes error a RunError: isRunError (and instanceof) is true for it from then on. */
export function markRunError(error: Error): RunError {
  brand.add(error);
  return error as RunError;
}
