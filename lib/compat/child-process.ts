/**
 * compat/child-process - ChildProcess for private-process/child_process:
 * child_process's object, fields and event order, over a PrivateHandle.
 *
 * The handle does the work (spawn, wait, kill, stdio, the IPC channel);
 * this object only keeps child_process's fields (exitCode, signalCode,
 * killed, pid, spawnfile, spawnargs) and its events: 'spawn', then 'exit'
 * and 'close', with 'message' and 'disconnect' between, and a failed spawn
 * as an 'error' event on a later tick rather than a throw.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { abortError, invalidArgType, isSpawnError, withCode } from '../errors';
import type { PrivateHandle } from '../handle';
import { spawnPrivate } from '../spawn';
import { checkSignal, spawnPrivateOptions, type SpawnOptions } from './options';

/** The start failures child_process reports as an 'error' event; any other throws, as there. */
const ASYNC_ERRORS = new Set(['EACCES', 'EAGAIN', 'EMFILE', 'ENFILE', 'ENOENT']);

let attach: (child: ChildProcess, handle: PrivateHandle) => void;

/** The events a ChildProcess passes on from its handle as they come. */
const PASSED_ON = ['message', 'internalMessage', 'disconnect'] as const;

/**
 * ChildProcess is a private child with child_process's interface: only
 * this object can signal or wait for it. `pid` stays readable after the
 * exit, as in child_process, but the number may belong to another process
 * by then: kill() never signals it once the child has been reaped, while
 * process.kill(pid) would.
 */
export class ChildProcess extends EventEmitter {
  /** pid is the child's process id, undefined when it could not be started. */
  pid: number | undefined = undefined;
  /** stdin is a stream to the child's fd 0 when it is 'pipe', else null. */
  stdin: Writable | null = null;
  /** stdout is a stream from the child's fd 1 when it is 'pipe', else null. */
  stdout: Readable | null = null;
  /** stderr is a stream from the child's fd 2 when it is 'pipe', else null. */
  stderr: Readable | null = null;
  /** stdio holds the streams of every fd, null where it is not 'pipe' (the 'ipc' slot too). */
  stdio: Array<Readable | Writable | null> = [];
  /** exitCode is the exit code once the child has exited, else null (-errno when it could not start). */
  exitCode: number | null = null;
  /** signalCode is the signal that ended the child, else null. */
  signalCode: NodeJS.Signals | null = null;
  /** killed is true once kill() has delivered a signal. */
  killed = false;
  /** spawnfile is the file that was started (the shell, with `shell`). */
  spawnfile = '';
  /** spawnargs is the child's full argv. */
  spawnargs: string[] = [];
  #handle: PrivateHandle | null = null;

  /** connected is true while the IPC channel is open. */
  get connected(): boolean {
    return this.#handle?.connected ?? false;
  }

  /**
   * spawn starts the child of a ChildProcess made with `new`: `options.file`
   * and `options.args` (its full argv, argv[0] first) in the environment of
   * `options.envPairs` (`NAME=value` strings; none: an empty environment, as
   * in child_process), with spawn()'s other options. A failure to start is
   * an 'error' event, as from spawn().
   */
  spawn(options: unknown): void {
    if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'object', options);
    const o = options as Record<string, unknown>;
    // In child_process's order: envPairs, then file, then args.
    if (o.envPairs !== undefined && !Array.isArray(o.envPairs)) {
      throw invalidArgType('options.envPairs', 'Array', o.envPairs);
    }
    if (typeof o.file !== 'string') throw invalidArgType('options.file', 'string', o.file);
    if (o.args !== undefined && !Array.isArray(o.args)) throw invalidArgType('options.args', 'Array', o.args);
    const argv = (o.args ?? [o.file]) as string[];
    const { file: _file, args: _args, envPairs, ...rest } = o;
    startChild(this, o.file, argv.slice(1), { argv0: argv[0], ...rest, env: envOf((envPairs ?? []) as unknown[]) });
  }

  /**
   * kill sends `signal` (default 'SIGTERM') to the child and returns true;
   * once the child has exited (or never started) it returns false without
   * any system call: its pid may be another process's by then.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const signo = checkSignal(signal);
    if (this.#handle === null || !this.#handle.kill(signo)) return false;
    this.killed = true;
    return true;
  }

  /**
   * send writes a message to the child's process.on('message'); see
   * PrivateHandle.send. Without a channel, or once it is closed, the
   * callback (or an 'error' event) gets ERR_IPC_CHANNEL_CLOSED.
   */
  send(message: unknown, ...rest: unknown[]): boolean {
    if (this.#handle === null) return withoutChannel(this, rest);
    return (this.#handle.send as (m: unknown, ...r: unknown[]) => boolean)(message, ...rest);
  }

  /** disconnect closes the IPC channel; 'disconnect' follows. */
  disconnect(): void {
    if (this.#handle === null) {
      this.emit('error', withCode(new Error('IPC channel is already disconnected'), 'ERR_IPC_DISCONNECTED'));
      return;
    }
    this.#handle.disconnect();
  }

  /** ref makes the running child keep the event loop alive (the default). */
  ref(): void {
    this.#handle?.ref();
  }

  /** unref lets the event loop end while the child runs. */
  unref(): void {
    this.#handle?.unref();
  }

  /** [Symbol.dispose] sends SIGTERM to a child that has not exited. */
  [Symbol.dispose](): void {
    if (this.exitCode === null && this.signalCode === null) this.kill();
  }

  static {
    attach = (child, handle) => {
      child.#handle = handle;
    };
  }
}

function withoutChannel(child: ChildProcess, rest: unknown[]): false {
  const err = withCode(new Error('Channel closed'), 'ERR_IPC_CHANNEL_CLOSED');
  const callback = rest.find((r) => typeof r === 'function') as ((e: Error) => void) | undefined;
  if (callback) process.nextTick(callback, err);
  else process.nextTick(() => child.emit('error', err));
  return false;
}

/** The error of a start failure as child_process words it: `spawn <file> ENOENT`, the args without argv[0]. */
function startError(err: NodeJS.ErrnoException & { spawnargs?: string[] }, file: string, args: string[]): Error {
  const e = Object.assign(new Error(`spawn ${file} ${err.code}`), {
    errno: err.errno,
    code: err.code,
    syscall: `spawn ${file}`,
    path: file,
    spawnargs: args,
    step: (err as { step?: string }).step,
  });
  return e;
}

/** A failed start: child_process's 'error', then 'close' once its (never connected) streams are gone. */
function failLater(
  child: ChildProcess,
  err: NodeJS.ErrnoException,
  file: string,
  args: string[],
  pipes: boolean[],
): void {
  const streams = pipes.map((p, i) => (p ? new Socket({ readable: i !== 0, writable: i === 0 }) : null));
  child.stdio = streams;
  [child.stdin, child.stdout, child.stderr] = streams as [Writable | null, Readable | null, Readable | null];
  process.nextTick(() => {
    child.exitCode = err.errno ?? -1;
    child.emit('error', startError(err, file, args));
    for (const s of streams) s?.destroy();
    process.nextTick(() => child.emit('close', child.exitCode, null));
  });
}

/** envOf is the env object of child_process's envPairs (`NAME=value` strings): the child's whole environment. */
function envOf(pairs: unknown[]): Record<string, string> {
  const env: Record<string, string> = Object.create(null);
  for (const pair of pairs) {
    const text = String(pair);
    const at = text.indexOf('=');
    if (at > 0) env[text.slice(0, at)] = text.slice(at + 1);
  }
  return env;
}

/**
 * startChild starts `file` for `child` with spawn()'s options; see
 * compat/options for what each becomes.
 */
export function startChild(child: ChildProcess, file: string, args: string[], options: SpawnOptions): void {
  const p = spawnPrivateOptions(file, args, options);
  child.spawnfile = p.spawnfile;
  child.spawnargs = p.spawnargs;
  let handle: PrivateHandle;
  try {
    handle = spawnPrivate(file, args, p.options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (!isSpawnError(e) || !ASYNC_ERRORS.has(e.code ?? '')) throw err;
    failLater(child, e, p.spawnfile, p.spawnargs.slice(1), p.pipes);
    return;
  }
  attach(child, handle);
  child.pid = handle.pid;
  child.stdio = [...handle.stdio];
  [child.stdin, child.stdout, child.stderr] = [handle.stdin, handle.stdout, handle.stderr];
  handle.on('spawn', () => child.emit('spawn'));
  handle.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
    child.exitCode = code;
    child.signalCode = signal;
    child.emit('exit', code, signal);
  });
  handle.on('close', (code: number | null, signal: NodeJS.Signals | null) => child.emit('close', code, signal));
  // A lost status is an error, never a made-up exit code.
  handle.on('error', (err: Error) => child.emit('error', err));
  for (const event of PASSED_ON) handle.on(event, (...a: unknown[]) => child.emit(event, ...a));
  armTimeout(child, p.timeout, p.killSignal);
  armAbort(child, p.signal, p.killSignal);
}

/** Like child_process: killSignal once `timeout` ms have passed, unless the child exited first. */
function armTimeout(child: ChildProcess, timeout: number, killSignal: number): void {
  if (timeout <= 0) return;
  const timer = setTimeout(() => {
    try {
      child.kill(killSignal);
    } catch (err) {
      child.emit('error', err);
    }
  }, timeout);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

/** Like child_process: killSignal on abort, and an AbortError 'error' when it was delivered. */
function armAbort(child: ChildProcess, signal: AbortSignal | undefined, killSignal: number): void {
  if (signal === undefined) return;
  const onAbort = (): void => {
    if (child.kill(killSignal)) child.emit('error', abortError(signal.reason));
  };
  if (signal.aborted) {
    process.nextTick(onAbort);
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => signal.removeEventListener('abort', onAbort));
}
