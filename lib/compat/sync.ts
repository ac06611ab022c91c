/**
 * compat/sync - spawnSync(), execFileSync() and execSync() of
 * private-process/child_process, over runPrivateSync: child_process's
 * result object and errors, the thread blocked until the child has exited
 * and its output has closed.
 */
import { constants } from 'node:os';
import { checkOptions } from '../check';
import { invalidArgType, invalidArgValue, systemError } from '../errors';
import { isRunError } from '../run-result';
import { runSyncKeeping } from '../run-sync';
import {
  checkKillSignal,
  checkMaxBuffer,
  checkTimeout,
  checkNodeOptions,
  dropUnset,
  type SpawnOptions,
} from './options';

/** SpawnSyncReturns is spawnSync()'s result, as child_process gives it. */
export interface SpawnSyncReturns<T = string | Buffer> {
  pid: number;
  output: Array<T | null> | null;
  stdout: T | null;
  stderr: T | null;
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** SpawnSyncOptions are spawn()'s options plus input, maxBuffer (default 1 MiB) and encoding (default 'buffer'). */
export interface SpawnSyncOptions extends Omit<SpawnOptions, 'encoding'> {
  /** input is written to the child's stdin: a string, or the bytes of any ArrayBufferView. */
  input?: string | NodeJS.ArrayBufferView;
  /** maxBuffer is the most bytes kept of stdout and of stderr, each. */
  maxBuffer?: number;
  /** encoding decodes the output; 'buffer' (the default) gives Buffers. */
  encoding?: BufferEncoding | 'buffer' | null;
}

/** What spawnSync() takes for itself; the rest goes to runPrivateSync as spawn options. */
const OWN = [
  'encoding',
  'maxBuffer',
  'killSignal',
  'input',
  'stdio',
  'timeout',
  'windowsHide',
  'windowsVerbatimArguments',
];

function sortArgs(args: unknown, options: unknown): [string[], Record<string, unknown>] {
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) [args, options] = [undefined, args];
  else if (args !== undefined && args !== null && !Array.isArray(args)) throw invalidArgType('args', 'Array', args);
  return [[...((args as string[] | undefined) ?? [])], checkOptions(options)];
}

function slots(stdio: unknown): unknown[] {
  if (stdio === undefined || stdio === null) return ['pipe', 'pipe', 'pipe'];
  return Array.isArray(stdio) ? stdio : [stdio, stdio, stdio];
}

/** child_process takes any ArrayBufferView (Int8Array, DataView, ...) as input; runPrivateSync gets its bytes as a Buffer. */
function toInput(input: unknown): unknown {
  if (!ArrayBuffer.isView(input) || input instanceof Uint8Array) return input ?? undefined;
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** The error of a spawnSync that failed, as child_process words it: `spawnSync <file> ENOENT`. */
function syncError(file: string, args: string[], errno: number): Error {
  const err = systemError(`spawnSync ${file}`, errno);
  err.message = `spawnSync ${file} ${err.code}`;
  return Object.assign(err, { path: file, spawnargs: args });
}

/**
 * spawnSync runs `file` as a private child, blocking the thread until it
 * has exited, and returns { pid, output, stdout, stderr, status, signal,
 * error? } as child_process does: `input` is written to its stdin,
 * `encoding` (default 'buffer') decodes the output, `timeout` and
 * `maxBuffer` (default 1 MiB) stop it with killSignal and set `error`
 * (ETIMEDOUT, ENOBUFS); a child that could not start has `error` and pid 0.
 */
export function spawnSync(
  file: string,
  args?: readonly string[] | SpawnSyncOptions | null,
  options?: SpawnSyncOptions | null,
): SpawnSyncReturns {
  if (typeof file !== 'string') throw invalidArgType('file', 'string', file);
  const [argList, o] = sortArgs(args, options);
  const stdio = slots(o.stdio);
  const enc = o.encoding ?? 'buffer';
  const encoding = enc !== 'buffer' && Buffer.isEncoding(enc as string) ? (enc as BufferEncoding) : null;
  const rest: Record<string, unknown> = dropUnset(o);
  for (const name of OWN) delete rest[name];
  const decode = (b: Buffer, fd: number): string | Buffer | null =>
    stdio[fd] !== 'pipe' && stdio[fd] !== undefined && stdio[fd] !== null ? null : encoding ? b.toString(encoding) : b;
  const killSignal = checkKillSignal(o.killSignal);
  const timeout = checkTimeout(o.timeout);
  // spawnSync stops a child once more than maxBuffer bytes came (so 3.5 is 3), and 0 is no limit.
  const maxBuffer = checkMaxBuffer(o.maxBuffer);
  checkNodeOptions(o);
  const runOptions = {
    ...rest,
    stdio: stdio.map((s) => (s === 'overlapped' ? 'pipe' : s)),
    input: toInput(o.input),
    timeout,
    maxBuffer: maxBuffer === 0 ? Infinity : Math.floor(maxBuffer),
    killSignal,
    encoding: 'buffer',
    reject: false,
    stripFinalNewline: false,
  };
  try {
    // Past maxBuffer, child_process keeps the whole chunk that went over; runPrivateSync keeps exactly maxBuffer.
    const r = runSyncKeeping(file, argList, runOptions, true) as unknown as {
      pid: number;
      stdout: Buffer;
      stderr: Buffer;
      exitCode: number | null;
      signal: NodeJS.Signals | null;
    };
    const [stdout, stderr] = [decode(r.stdout, 1), decode(r.stderr, 2)];
    return { pid: r.pid, output: [null, stdout, stderr], stdout, stderr, status: r.exitCode, signal: r.signal };
  } catch (e) {
    if (!isRunError(e)) throw e;
    const spawnfile = e.path ?? file;
    if (e.pid === null) {
      const error = syncError(spawnfile, argList, e.errno ?? -constants.errno.EIO);
      return { pid: 0, output: null, stdout: null, stderr: null, status: null, signal: null, error };
    }
    const errno =
      e.code === 'ETIMEDOUT'
        ? -constants.errno.ETIMEDOUT
        : e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
          ? -constants.errno.ENOBUFS
          : null;
    if (errno === null) throw e;
    const [stdout, stderr] = [decode(e.stdout as Buffer, 1), decode(e.stderr as Buffer, 2)];
    const error = syncError(spawnfile, argList, errno);
    return { pid: e.pid, output: [null, stdout, stderr], stdout, stderr, status: e.exitCode, signal: e.signal, error };
  }
}

/** The error of a sync exec: the start's error, or `Command failed: <cmd>` and stderr, with the result's fields. */
function execSyncError(ret: SpawnSyncReturns, cmd: string): Error | null {
  if (ret.error) return Object.assign(ret.error, ret);
  if (ret.status === 0) return null;
  let message = `Command failed: ${cmd}`;
  if (ret.stderr && ret.stderr.length > 0) message += `\n${ret.stderr.toString()}`;
  return Object.assign(new Error(message), ret);
}

/** Runs spawnSync for an exec form: stderr goes to this process's stderr when `stdio` is not given. */
function execSyncRun(file: string, args: string[], o: Record<string, unknown>, cmd: string): string | Buffer | null {
  const inheritStderr = o.stdio === undefined;
  const ret = spawnSync(file, args, o);
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr);
  const err = execSyncError(ret, cmd);
  if (err) throw err;
  return ret.stdout;
}

/**
 * execFileSync runs `file` as spawnSync() does and returns its stdout;
 * a child that did not exit 0, or could not start, throws an error
 * carrying spawnSync()'s result (status, signal, stdout, stderr).
 */
export function execFileSync(
  file: string,
  args?: readonly string[] | SpawnSyncOptions | null,
  options?: SpawnSyncOptions | null,
): string | Buffer | null {
  if (typeof file !== 'string') throw invalidArgType('file', 'string', file);
  const [argList, o] = sortArgs(args, options);
  const argv0 = typeof o.argv0 === 'string' ? o.argv0 : file;
  return execSyncRun(file, argList, o, [argv0, ...argList].join(' '));
}

/**
 * execSync runs `command` with a shell (`/bin/sh`, or the `shell` option's
 * path) as execFileSync() does. Never build `command` from input you do
 * not control: the shell expands what it contains.
 */
export function execSync(command: string, options?: SpawnSyncOptions | null): string | Buffer | null {
  if (typeof command !== 'string') throw invalidArgType('command', 'string', command);
  if (command.includes('\0')) throw invalidArgValue('command', command, 'must be a string without null bytes');
  const o = checkOptions(options);
  return execSyncRun(command, [], { ...o, shell: typeof o.shell === 'string' ? o.shell : true }, command);
}
