/**
 * run-end - how a run ends: the result it resolves with, or the error it
 * rejects with, worded as execa words its own. runPrivate and
 * runPrivateSync both end here.
 */
import { performance } from 'node:perf_hooks';
import {
  abortError,
  formatCommand,
  illegalConstructor,
  isSpawnError,
  markSpawnError,
  type SpawnError,
  type SpawnStep,
} from './errors';
import { Output, type RunOutput } from './output';
import type { RunChecked, RunResult } from './run-options';
import type { ProcessStatus } from './status';

/** Failure is why a run failed, known before its message can be written. */
export type Failure =
  | { kind: 'spawn'; error: SpawnError }
  | { kind: 'start'; error: Error & { code: string } }
  | { kind: 'abort'; reason: unknown }
  | { kind: 'timeout'; timeout: number }
  | { kind: 'maxBuffer'; stream: 'stdout' | 'stderr'; limit: number }
  | { kind: 'io'; error: Error }
  | { kind: 'lost'; error: Error; code: string };

/** RunEnd is everything known about a run once it is over. */
export interface RunEnd {
  file: string;
  args: readonly string[];
  spawnargs: readonly string[];
  /** started is performance.now() before the spawn. */
  started: number;
  run: RunChecked;
  pid: number | null;
  status: ProcessStatus | null;
  failure: Failure | null;
  /** output is what was captured; null when the child never ran. */
  output: Output | null;
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
 * startFailure is why a child could not be started, from what the spawn
 * threw: a spawn error (ENOENT at execve...), or the backend's refusal to
 * start it here (ERR_PRIVATE_BACKEND_UNAVAILABLE, ERR_NOT_SUPPORTED,
 * ERR_PRIVATE_PROCESS_TABLE: what this machine cannot give, not a bad
 * argument). Anything else, which has no code, is thrown again.
 */
export function startFailure(err: unknown): Failure {
  if (isSpawnError(err)) return { kind: 'spawn', error: err };
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    return { kind: 'start', error: err as Error & { code: string } };
  }
  throw err;
}

/**
 * isRunError is true for an error that runPrivate rejected with or
 * runPrivateSync threw once the child was (or could not be) started:
 * every one of them, and nothing else, carries the fields of RunError.
 */
export function isRunError(value: unknown): value is RunError {
  return typeof value === 'object' && value !== null && brand.has(value as Error);
}

/** How the child ended, for a message: 'exit code 3' or 'SIGKILL'. */
function ending(status: ProcessStatus): string {
  return status.exitCode !== null ? `exit code ${status.exitCode}` : `${status.signal}`;
}

/** Describes a failure: what the message starts with, what follows the command, and the error to make. */
interface Described {
  prefix: string;
  detail?: string;
  make(message: string): Error;
}

function coded(code: string, Kind: ErrorConstructor | RangeErrorConstructor = Error, cause?: unknown) {
  const options = cause === undefined ? undefined : { cause };
  return (message: string): Error => Object.assign(new Kind(message, options), { code });
}

/** What an abort's reason says, for the message as execa words it: an error's message, else the reason as text. */
function reasonText(reason: unknown): string | undefined {
  let text: string;
  try {
    text = String((reason as { message?: unknown } | null | undefined)?.message ?? reason);
  } catch {
    return undefined; // A reason without a usable toString says nothing.
  }
  return text === '' ? undefined : text;
}

function describeFailure(failure: Failure | null, status: ProcessStatus | null): Described {
  switch (failure?.kind) {
    case undefined: {
      const s = status as ProcessStatus;
      const prefix = s.exitCode !== null ? `Command failed with ${ending(s)}` : `Command was killed with ${ending(s)}`;
      return { prefix, make: coded('ERR_PRIVATE_PROCESS_FAILED') };
    }
    case 'spawn': {
      const { errno, code, syscall, path, step } = failure.error;
      return {
        prefix: `Command failed with ${code}`,
        detail: failure.error.message,
        make: (m) => markSpawnError(Object.assign(new Error(m), { errno, code, syscall, path, step })),
      };
    }
    case 'start':
      return {
        prefix: `Command failed with ${failure.error.code}`,
        detail: failure.error.message,
        make: coded(failure.error.code, Error, failure.error),
      };
    case 'abort':
      return {
        prefix: 'Command was aborted',
        detail: reasonText(failure.reason),
        make: (m) => abortError(failure.reason, m),
      };
    case 'timeout':
      return { prefix: `Command timed out after ${failure.timeout} milliseconds`, make: coded('ETIMEDOUT') };
    case 'maxBuffer':
      return {
        prefix: `Command's ${failure.stream} was larger than ${failure.limit} bytes`,
        make: coded('ERR_CHILD_PROCESS_STDIO_MAXBUFFER', RangeError),
      };
    case 'io':
      return {
        prefix: 'Command failed reading its output or writing its input',
        detail: failure.error.message,
        make: coded('ERR_PRIVATE_PROCESS_IO', Error, failure.error),
      };
    case 'lost':
      return { prefix: "Command's exit status was lost", detail: failure.error.message, make: coded(failure.code) };
  }
}

/**
 * endRun settles a run: its RunResult, or, when it failed (or did not exit
 * 0 with `reject`), its RunError. It throws ERR_STRING_TOO_LONG when the
 * output is more text than V8 can hold in one string.
 */
export function endRun(end: RunEnd): { result: RunResult } | { error: RunError } {
  const command = formatCommand(end.file, end.args);
  const output = end.output ?? new Output(0);
  const shaped = output.shape(end.run);
  const s = end.status;
  const fields = {
    pid: end.pid,
    ...shaped,
    status: s,
    exitCode: s?.exitCode ?? null,
    signal: s?.signal ?? null,
    command,
    durationMs: performance.now() - end.started,
    pipedFrom: [],
  };
  if (end.failure === null && (s === null || s.success || !end.run.reject)) {
    return { result: fields as RunResult };
  }
  const d = describeFailure(end.failure, s);
  const shortMessage = `${d.prefix}: ${command}${d.detail === undefined ? '' : `\n${d.detail}`}`;
  const tail = output.tail();
  const error = d.make(tail === '' ? shortMessage : `${shortMessage}\n\n${tail}`);
  Object.assign(error, fields, { spawnargs: end.spawnargs, shortMessage });
  brand.add(error);
  return { error: error as Error as RunError };
}
