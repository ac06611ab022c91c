/**
 * private-process/child_process: node:child_process's functions, with
 * every child private.
 *
 * Switching is one import: `require('private-process/child_process')` in
 * place of `require('node:child_process')`. spawn, exec, execFile, fork and
 * their sync forms keep child_process's signatures, checks, errors, events
 * and util.promisify forms; every child is started by spawnPrivate (hidden
 * on Linux by default), so no other code in the process can reap it or
 * make kill() reach another process. Options this package adds (backend,
 * isolation, uid, ...) pass through to spawnPrivate.
 */
import { fileURLToPath } from 'node:url';
import { checkOptions } from './check';
import { invalidArgType, withCode } from './errors';
import { ChildProcess, startChild } from './compat/child-process';
import { checkNullBytes, type SpawnOptions } from './compat/options';

export { ChildProcess } from './compat/child-process';
export { exec, execFile, type ExecCallback, type ExecException, type ExecFileOptions } from './compat/exec';
export { spawnSync, execFileSync, execSync, type SpawnSyncReturns, type SpawnSyncOptions } from './compat/sync';
export type { SpawnOptions } from './compat/options';

/** ForkOptions are spawn()'s options plus fork()'s: execPath, execArgv, silent, serialization. */
export interface ForkOptions extends SpawnOptions {
  /** execPath is the Node binary to run (default process.execPath). */
  execPath?: string;
  /** execArgv are its flags (default process.execArgv). */
  execArgv?: string[];
  /** silent pipes fds 0–2 to the parent instead of inheriting them (default false). */
  silent?: boolean;
}

function sortArgs(args: unknown, options: unknown): [string[], Record<string, unknown>] {
  if (args === undefined || args === null) return [[], checkOptions(options)];
  if (Array.isArray(args)) return [[...args] as string[], checkOptions(options)];
  if (typeof args !== 'object') throw invalidArgType('args', 'object', args);
  if (options !== undefined) checkOptions(options);
  return [[], checkOptions(args)];
}

/**
 * spawn starts `file` with `args` as a private child and returns its
 * ChildProcess, as child_process's spawn(): a file that cannot be started
 * (ENOENT, EACCES, EAGAIN, EMFILE, ENFILE) is an 'error' event on a later
 * tick, then 'close'; other failures throw. 'spawn' comes first, then
 * 'exit' and 'close'; timeout, killSignal and signal (an AbortSignal,
 * whose abort emits an AbortError) are child_process's.
 */
export function spawn(file: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): ChildProcess {
  if (typeof file !== 'string') throw invalidArgType('file', 'string', file);
  // spawn() refuses null options, as child_process does (the other functions take them as {}).
  if (options === null) {
    throw invalidArgType('options', 'object', options);
  }
  const [argList, o] = sortArgs(args, options);
  checkNullBytes('file', file);
  argList.forEach((a, i) => checkNullBytes(`args[${i}]`, a));
  const child = new ChildProcess();
  startChild(child, file, argList, o);
  return child;
}

/**
 * fork runs a Node module as a private child with an IPC channel
 * (`process.send` in the child), as child_process's fork(): `execPath` and
 * `execArgv` (default this process's), `silent` (pipe fds 0–2), a `stdio`
 * array that must hold 'ipc' (ERR_CHILD_PROCESS_IPC_REQUIRED), and
 * `serialization` ('json' or 'advanced').
 */
export function fork(
  modulePath: string | URL,
  args?: readonly string[] | ForkOptions,
  options?: ForkOptions,
): ChildProcess {
  const path = modulePath instanceof URL ? fileURLToPath(modulePath) : modulePath;
  if (typeof path !== 'string') throw invalidArgType('modulePath', 'string', modulePath);
  const [argList, o] = sortArgs(args, options);
  checkNullBytes('modulePath', path);
  argList.forEach((a, i) => checkNullBytes(`args[${i}]`, a));
  let stdio = o.stdio;
  if (typeof stdio === 'string') stdio = [stdio, stdio, stdio, 'ipc'];
  else if (!Array.isArray(stdio))
    stdio = o.silent ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'];
  else if (!stdio.includes('ipc')) {
    throw withCode(
      new Error("Forked processes must have an IPC channel, missing value 'ipc' in options.stdio"),
      'ERR_CHILD_PROCESS_IPC_REQUIRED',
    );
  }
  const execArgv = (o.execArgv ?? process.execArgv) as string[];
  const execPath = (o.execPath ?? process.execPath) as string;
  // fork() never runs a shell: child_process drops the option.
  const { execArgv: _a, execPath: _p, silent: _s, shell: _sh, ...rest } = o;
  const child = new ChildProcess();
  startChild(child, execPath, [...execArgv, path, ...argList], { ...rest, stdio } as SpawnOptions);
  return child;
}
