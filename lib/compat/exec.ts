/**
 * compat/exec - execFile() and exec() of private-process/child_process:
 * child_process's collection of output (encoding, maxBuffer, timeout,
 * killSignal), its callback and its errors, over spawn().
 */
import { getSystemErrorName, promisify } from 'node:util';
import { checkOptions } from '../check';
import { invalidArgType, invalidArgValue, withCode } from '../errors';
import { ChildProcess, startChild } from './child-process';
import { checkKillSignal, checkMaxBuffer, checkNullBytes, checkTimeout, type SpawnOptions } from './options';

/** ExecCallback gets the error (null on exit 0) and what the child wrote to stdout and stderr. */
export type ExecCallback = (error: ExecException | null, stdout: string | Buffer, stderr: string | Buffer) => void;

/** ExecException is how an execFile() or exec() failed: an exit code, a signal, or the start's error. */
export interface ExecException extends Error {
  cmd?: string;
  killed?: boolean;
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
}

/** ExecFileOptions are spawn()'s options plus the collection's: encoding, timeout, maxBuffer, killSignal. */
export interface ExecFileOptions extends Omit<SpawnOptions, 'encoding'> {
  /** encoding decodes the output (default 'utf8'); 'buffer' or null gives Buffers. */
  encoding?: BufferEncoding | 'buffer' | null;
  /** maxBuffer is the most bytes kept of stdout and of stderr, each (default 1 MiB). */
  maxBuffer?: number;
}

/** What execFile() takes for itself; the rest goes to spawn(). */
const OWN = ['encoding', 'timeout', 'maxBuffer', 'killSignal'];

/** The arguments of execFile(file, args?, options?, callback?), as child_process sorts them. */
function sortArgs(args: unknown, options: unknown, callback: unknown): [string[], Record<string, unknown>, unknown] {
  if (typeof args === 'function') [args, options, callback] = [undefined, undefined, args];
  else if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    [args, options, callback] = [undefined, args, options];
  } else if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw invalidArgType('args', 'Array', args);
  }
  if (typeof options === 'function') [options, callback] = [undefined, options];
  if (callback !== undefined && callback !== null && typeof callback !== 'function') {
    throw invalidArgType('callback', 'Function', callback);
  }
  return [[...((args as string[] | undefined) ?? [])], checkOptions(options), callback];
}

function maxBufferError(name: string): RangeError & { code: string } {
  return withCode(new RangeError(`${name} maxBuffer length exceeded`), 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
}

/** One output stream's collection, up to maxBuffer. */
class Collected {
  chunks: Array<string | Buffer> = [];
  length = 0;

  /** text joins the chunks: strings when decoded (by `encoding`, or by the caller's own setEncoding()). */
  text(encoding: BufferEncoding | null): string | Buffer {
    const decoded = encoding !== null || this.chunks.some((c) => typeof c === 'string');
    return decoded ? this.chunks.join('') : Buffer.concat(this.chunks as Buffer[]);
  }
}

/**
 * execFile runs `file` with `args` as a private child without a shell
 * (unless `shell`), collects its output and calls back with
 * (error, stdout, stderr): error null on exit 0, else with `code` (the
 * exit code or the start's errno code), `signal`, `killed` and `cmd`.
 * `encoding` (default 'utf8'; 'buffer' for Buffers), `maxBuffer` (default
 * 1 MiB per stream: more stops the child with ERR_CHILD_PROCESS_STDIO_MAXBUFFER),
 * `timeout` and `killSignal` are as in child_process; the other options are
 * spawn()'s.
 */
export function execFile(
  file: string,
  args?: readonly string[] | ExecFileOptions | ExecCallback | null,
  options?: ExecFileOptions | ExecCallback | null,
  callback?: ExecCallback,
): ChildProcess {
  if (typeof file !== 'string') throw invalidArgType('file', 'string', file);
  const [argList, o, cb] = sortArgs(args, options, callback);
  checkNullBytes('file', file);
  argList.forEach((a, i) => checkNullBytes(`args[${i}]`, a));
  const done = cb as ExecCallback | undefined;
  // As child_process spreads the options over its defaults, an own encoding: undefined or null gives Buffers.
  const encodingOption = Object.hasOwn(o, 'encoding') ? o.encoding : 'utf8';
  const encoding =
    encodingOption !== 'buffer' && Buffer.isEncoding(encodingOption as string)
      ? (encodingOption as BufferEncoding)
      : null;
  const timeout = checkTimeout(o.timeout);
  const maxBuffer = checkMaxBuffer(o.maxBuffer);
  const killSignal = checkKillSignal(o.killSignal);
  const spawnOptions: Record<string, unknown> = { ...o };
  for (const name of OWN) delete spawnOptions[name];
  const child = new ChildProcess();
  startChild(child, file, argList, spawnOptions);
  const out = new Collected();
  const err = new Collected();
  let failure: ExecException | null = null;
  let killed = false;
  let ended = false;
  const stop = (): void => {
    child.stdout?.destroy();
    child.stderr?.destroy();
    killed = true;
    try {
      child.kill(killSignal);
    } catch (e) {
      failure = e as Error;
      end(null, null);
    }
  };
  const timer = timeout > 0 ? setTimeout(stop, timeout) : null;
  const end = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (ended) return;
    ended = true;
    if (timer) clearTimeout(timer);
    if (!done) return;
    const stdout = out.text(encoding);
    const stderr = err.text(encoding);
    if (failure === null && code === 0 && signal === null) return done(null, stdout, stderr);
    const cmd = [file, ...argList].join(' ');
    failure ??= Object.assign(new Error(`Command failed: ${cmd}\n${stderr}`), {
      // A negative code (an errno given to 'close') is named, as child_process names it.
      code: code !== null && code < 0 ? getSystemErrorName(code) : code,
      killed: child.killed || killed,
      signal,
    });
    failure.cmd = cmd;
    done(failure, stdout, stderr);
  };
  const collect = (stream: NodeJS.ReadableStream | null, into: Collected, name: string): void => {
    if (stream === null) return;
    if (encoding) stream.setEncoding(encoding);
    stream.on('data', (chunk: string | Buffer) => {
      const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding ?? 'utf8') : chunk.length;
      into.length += size;
      if (into.length <= maxBuffer) return void into.chunks.push(chunk);
      const keep = maxBuffer - (into.length - size);
      into.chunks.push(chunk.slice(0, keep));
      failure = maxBufferError(name);
      stop();
    });
  };
  collect(child.stdout, out, 'stdout');
  collect(child.stderr, err, 'stderr');
  child.on('close', end);
  child.on('error', (e: Error) => {
    failure = e;
    child.stdout?.destroy();
    child.stderr?.destroy();
    end(null, null);
  });
  return child;
}

/**
 * exec runs `command` with a shell (`/bin/sh`, or the `shell` option's
 * path) and calls back as execFile() does. Never build `command` from
 * input you do not control: the shell expands what it contains.
 */
export function exec(
  command: string,
  options?: ExecFileOptions | ExecCallback | null,
  callback?: ExecCallback,
): ChildProcess {
  if (typeof command !== 'string') throw invalidArgType('command', 'string', command);
  if (command.includes('\0')) throw invalidArgValue('command', command, 'must be a string without null bytes');
  if (typeof options === 'function') [options, callback] = [undefined, options];
  const o = checkOptions(options);
  return execFile(command, [], { ...o, shell: typeof o.shell === 'string' ? o.shell : true }, callback);
}

/**
 * A promise form for util.promisify: it resolves { stdout, stderr }, or
 * rejects with the error carrying them too; `child` is the ChildProcess.
 */
function promiseForm(run: (...args: unknown[]) => ChildProcess) {
  return (
    ...args: unknown[]
  ): Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: ChildProcess } => {
    let settle: ExecCallback = () => undefined;
    const promise = new Promise<{ stdout: string | Buffer; stderr: string | Buffer }>((resolve, reject) => {
      settle = (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr });
        else reject(Object.assign(error, { stdout, stderr }));
      };
    });
    // Called outside the executor: bad arguments throw, as child_process's promise forms do.
    const child = run(...args, settle);
    return Object.assign(promise, { child });
  };
}

Object.defineProperty(execFile, promisify.custom, { value: promiseForm(execFile as never), enumerable: false });
Object.defineProperty(exec, promisify.custom, { value: promiseForm(exec as never), enumerable: false });
