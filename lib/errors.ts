/**
 * errors - the one place where failures become Node-shaped errors.
 *
 * Backends report { -errno, step }; argument checks report what was expected
 * and what was received. Every error carries a `code` to test against,
 * never only a message.
 */
import { constants } from 'node:os';
import { inspect, getSystemErrorMap } from 'node:util';

/** SpawnStep names the part of the child's set-up that failed. */
export type SpawnStep =
  | 'none'
  | 'clone'
  | 'signals'
  | 'dup2'
  | 'close_fds'
  | 'setsid'
  | 'setgroups'
  | 'setgid'
  | 'setuid'
  | 'capabilities'
  | 'chdir'
  | 'umask'
  | 'pdeathsig'
  | 'execve'
  | 'intermediate'
  | 'stdio'
  | 'rlimits'
  | 'nice'
  | 'cpu_affinity'
  | 'bounding_set'
  | 'no_new_privs'
  | 'cgroup';

// The order of enum pp_step in native/common/backend.h.
const steps: SpawnStep[] = [
  'none',
  'clone',
  'signals',
  'dup2',
  'close_fds',
  'setsid',
  'setgroups',
  'setgid',
  'setuid',
  'capabilities',
  'chdir',
  'umask',
  'pdeathsig',
  'execve',
  'intermediate',
  'stdio',
  'rlimits',
  'nice',
  'cpu_affinity',
  'bounding_set',
  'no_new_privs',
  'cgroup',
];

// PP_TABLE_ABI in native/common/table.h.
const PP_TABLE_ABI = 3;

const systemErrors = getSystemErrorMap();
// libuv's map lacks some errors we meet (ECHILD): fall back to the OS's names.
const osErrnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) {
  if (!osErrnoNames.has(-n)) osErrnoNames.set(-n, name);
}

/** errnoName returns 'ENOENT' for -2, or 'Unknown system error -N'. */
export function errnoName(errno: number): string {
  return systemErrors.get(errno)?.[0] ?? osErrnoNames.get(errno) ?? `Unknown system error ${errno}`;
}

/*
 * The messages of the errors libuv's table lacks, worded as libuv words
 * the others: the C library's strerror() text in lower case.
 */
const extraMessages: Record<string, string> = {
  EBADMSG: 'bad message',
  ECHILD: 'no child processes',
  EDEADLK: 'resource deadlock avoided',
  EDOM: 'numerical argument out of domain',
  EDQUOT: 'disk quota exceeded',
  EIDRM: 'identifier removed',
  EINPROGRESS: 'operation now in progress',
  EMULTIHOP: 'multihop attempted',
  ENETRESET: 'network dropped connection on reset',
  ENOEXEC: 'exec format error',
  ENOLCK: 'no locks available',
  ENOLINK: 'link has been severed',
  ENOMSG: 'no message of desired type',
  ENOSR: 'out of streams resources',
  ENOSTR: 'device not a stream',
  ESTALE: 'stale file handle',
  ETIME: 'timer expired',
};

// libuv's messages by name: its numbers are not -errno on Windows (-4058 is ENOENT there).
const messagesByName = new Map([...systemErrors.values()]);

function errnoMessage(errno: number): string {
  const name = errnoName(errno);
  return systemErrors.get(errno)?.[1] ?? messagesByName.get(name) ?? extraMessages[name] ?? `unknown error ${errno}`;
}

const spawnErrors = new WeakSet<Error>();

/**
 * SpawnError is the error of a child that could not be started: what
 * spawnPrivate throws, and what a run rejects with (runPrivateSync throws)
 * for it, which is a RunError too. `instanceof SpawnError` is true for
 * exactly these, made by either entry point (the ESM one is the CommonJS
 * build's), as isSpawnError says. Only the package makes them.
 */
export class SpawnError extends Error {
  /** errno is the negative error number, as Node's: -2 for ENOENT. */
  declare errno: number;
  /** code is the error's name: 'ENOENT', 'EACCES', ... */
  declare code: string;
  /** syscall is 'spawn <file>'. */
  declare syscall: string;
  /** path is the file that was to run. */
  declare path: string;
  /** spawnargs are the child's argv, argv[0] first. */
  declare spawnargs: readonly string[];
  /** step is the part of the child's set-up that failed. */
  declare step: SpawnStep;

  /** SpawnErrors are made by the package only: the constructor throws ERR_ILLEGAL_CONSTRUCTOR. */
  private constructor() {
    super();
    throw illegalConstructor('SpawnError');
  }

  /** Symbol.hasInstance makes `instanceof SpawnError` what isSpawnError says. */
  static override [Symbol.hasInstance](value: unknown): value is SpawnError {
    return isSpawnError(value);
  }
}

/**
 * PrivateProcessError is the error of what the package cannot do, here or
 * any more, with the code that says which: ERR_PRIVATE_STATUS_LOST,
 * ERR_PRIVATE_BACKEND_UNAVAILABLE, ERR_PRIVATE_PROCESS_DEGRADED, ERR_NOT_SUPPORTED,
 * ERR_PRIVATE_PROCESS_TABLE, ERR_PRIVATE_NOT_DETACHED or
 * ERR_PRIVATE_PROCESS_REAPED_ELSEWHERE. Bad arguments throw Node's
 * TypeError and RangeError instead (ERR_INVALID_ARG_TYPE, ...), a failed
 * system call a Node-shaped Error with its errno, a child that could not
 * start a SpawnError, a run a RunError.
 */
export class PrivateProcessError extends Error {
  /** code says what failed: 'ERR_PRIVATE_STATUS_LOST', ... */
  declare code: string;

  /** @internal PrivateProcessErrors are made by the package. */
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/**
 * isSpawnError is true for the error of a child that could not be started:
 * what spawnPrivate throws, and what runPrivate rejects with (and
 * runPrivateSync throws) for it. It has `code`, `errno`, `syscall`, `path`,
 * `spawnargs` and `step`.
 */
export function isSpawnError(value: unknown): value is SpawnError {
  return typeof value === 'object' && value !== null && spawnErrors.has(value as Error);
}

/** @internal markSpawnError makes isSpawnError true for err. */
export function markSpawnError<E extends Error>(err: E): E {
  spawnErrors.add(err);
  return err;
}

/** @internal stepNumber is a step's number in enum pp_step, for the backends written in TypeScript. */
export function stepNumber(step: SpawnStep): number {
  return steps.indexOf(step);
}

/** spawnError builds the error for a child that failed at `step` with -errno. */
export function spawnError(file: string, spawnargs: string[], errno: number, step: number): SpawnError {
  const code = errnoName(errno);
  const stepName = steps[step] ?? 'none';
  const err = new Error(`spawn ${file} ${code}: ${errnoMessage(errno)} (at ${stepName})`) as Error as SpawnError;
  err.errno = errno;
  err.code = code;
  err.syscall = `spawn ${file}`;
  err.path = file;
  err.spawnargs = spawnargs;
  err.step = stepName;
  return markSpawnError(err);
}

/** systemError builds an error for a failed system call, as Node's own look. */
export function systemError(syscall: string, errno: number, extra?: Record<string, unknown>): NodeJS.ErrnoException {
  const code = errnoName(errno);
  const err = new Error(`${syscall} ${code}: ${errnoMessage(errno)}`) as NodeJS.ErrnoException;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  return Object.assign(err, extra);
}

/**
 * withCode gives an error its Node-style `code`, shown as Node's own
 * errors show it: String(err) is `TypeError [ERR_X]: message`.
 */
export function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'toString', {
    value(this: Error & { code: string }) {
      return `${this.name} [${this.code}]: ${this.message}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return Object.assign(err, { code });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  let shown = inspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/**
 * invalidArgType is Node's ERR_INVALID_ARG_TYPE, worded as Node words it:
 * a dotted name is a "property", and several types are "one of type".
 */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  const what = name.includes('.') ? 'property' : 'argument';
  // As Node words it: a class (Array, AbortSignal) is "an instance of", Object and Function are types.
  const instance = /^[A-Z]\w*$/.test(expected) && expected !== 'Object' && expected !== 'Function';
  const types = instance
    ? `an instance of ${expected}`
    : expected.includes(' or ')
      ? `one of type ${expected}`
      : `of type ${expected}`;
  return withCode(
    new TypeError(`The "${name}" ${what} must be ${types}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** invalidArgValue is Node's ERR_INVALID_ARG_VALUE (a TypeError, as in Node). */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError & { code: string } {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return withCode(new TypeError(`The argument '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** outOfRange is Node's ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/**
 * statusLost is the error of a wait whose status is gone for good: taken by
 * another reaper from a direct child, or by the end of a hidden child's
 * intermediate task, killed before the child exited.
 */
export function statusLost(pid: number, isolation: 'hidden' | 'direct'): Error & { code: string; pid: number } {
  const why =
    isolation === 'hidden'
      ? `The intermediate task that started private child ${pid} ended before the child did ` +
        '(it was killed), taking its exit status with it'
      : `The exit status of private child ${pid} was taken by another waitpid() in this process ` +
        "and neither the kernel (PIDFD_INFO_EXIT, Linux 6.15) nor the preload shim kept a copy; isolation: 'hidden' keeps it";
  return Object.assign(new PrivateProcessError(why, 'ERR_PRIVATE_STATUS_LOST'), { pid });
}

/** backendUnavailable is thrown when the chosen backend cannot run here. */
export function backendUnavailable(backend: string, reason: string): Error & { code: string } {
  return new PrivateProcessError(
    `The private-process backend '${backend}' cannot be used here: ${reason}`,
    'ERR_PRIVATE_BACKEND_UNAVAILABLE',
  );
}

/**
 * tableConflict is thrown by a copy of the package that finds, in this
 * process, the table of private children of an incompatible copy.
 */
export function tableConflict(otherAbi: number): Error & { code: string } {
  return new PrivateProcessError(
    `Another copy of private-process in this process keeps its private children in a table of ` +
      `version ${otherAbi}; this copy's is version ${PP_TABLE_ABI}. Two copies can keep each other's ` +
      'children private only when the versions agree: deduplicate the package (npm dedupe) or align them',
    'ERR_PRIVATE_PROCESS_TABLE',
  );
}

/** notDetached is thrown by kill(signal, { group: true }) for a child that has no process group of its own. */
export function notDetached(pid: number): Error & { code: string } {
  return new PrivateProcessError(
    `kill(signal, { group: true }) needs a child started with detached: true; private child ${pid} was not, ` +
      "so its process group is this process's own. Signal the child alone, or start it detached",
    'ERR_PRIVATE_NOT_DETACHED',
  );
}

/** illegalConstructor is thrown by a class whose objects only the package makes. */
export function illegalConstructor(name: string): TypeError & { code: string } {
  return withCode(
    new TypeError(`Illegal constructor: ${name} objects are made by the package only`),
    'ERR_ILLEGAL_CONSTRUCTOR',
  );
}

/** quoteWord quotes one word for a POSIX shell, with single quotes, when it needs them. */
function quoteWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * formatCommand shows a command line for messages as a POSIX shell reads it:
 * words that need it in single quotes, so that it can be pasted and run.
 */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteWord).join(' ');
}

/** abortError is Node's AbortError (code 'ABORT_ERR') with the signal's reason as its cause. */
export function abortError(reason: unknown, message = 'The operation was aborted'): Error & { code: string } {
  const err = withCode(new Error(message, { cause: reason }), 'ABORT_ERR');
  err.name = 'AbortError';
  return err;
}

/** reapedElsewhere is thrown by waitSync() on an adopted ChildProcess, which child_process reaps. */
export function reapedElsewhere(pid: number): Error & { code: string } {
  return new PrivateProcessError(
    `waitSync() cannot wait for adopted child ${pid}: child_process reaps it on the event loop, ` +
      'which a blocking wait would stop; use wait()',
    'ERR_PRIVATE_PROCESS_REAPED_ELSEWHERE',
  );
}

/** notSupported is Node's ERR_NOT_SUPPORTED-style error for what a backend cannot do here. */
export function notSupported(what: string, reason: string): Error & { code: string } {
  return new PrivateProcessError(`${what} is not supported here: ${reason}`, 'ERR_NOT_SUPPORTED');
}

/**
 * degradedError is ERR_PRIVATE_PROCESS_DEGRADED: under `strict`, a spawn
 * refused because its backend is less than this platform's best (reason
 * says what is lost and how to fix it; see degraded.ts).
 */
export function degradedError(reason: string): PrivateProcessError {
  return new PrivateProcessError(reason, 'ERR_PRIVATE_PROCESS_DEGRADED');
}
