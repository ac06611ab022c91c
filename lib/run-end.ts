/**
 * run-end - how a run ends: the result it resolves with, or the error it
 * rejects with, worded as execa words its own. runPrivate and
 * runPrivateSync both end here.
 */
import { performance } from 'node:perf_hooks';
import { abortError, formatCommand, isSpawnError, markSpawnError, type SpawnError } from './errors';
import { Output } from './output';
import { markRunError, type RunChecked, type RunError, type RunResult } from './run-result';
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
  return { error: markRunError(error) };
}
