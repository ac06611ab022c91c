/**
 * spawn - spawnPrivate and forkPrivate.
 */
import { backendUnavailable, spawnError } from './errors';
import { PrivateHandle } from './handle';
import { native, type StatusTuple } from './native';
import { normalizeOptions, type SpawnPrivateOptions } from './options';
import { backendReport } from './capabilities';

// Spawn flags, as in native/common/backend.h and addon.c.
const SPAWN_SETSID = 0x1;
const SPAWN_INHERIT_ENV = 0x100;
const STEP_NONE = 0;

/** Stops the child when the options' AbortSignal aborts or its timeout passes. */
function armCancellation(h: PrivateHandle, signal: AbortSignal | null, timeout: number, killSignal: number): void {
  const stop = (): void => {
    try {
      h.kill(killSignal);
    } catch {
      // Already reaped: nothing left to stop.
    }
  };
  if (signal !== null) {
    if (signal.aborted) stop();
    else {
      signal.addEventListener('abort', stop, { once: true });
      h._onSettle(() => signal.removeEventListener('abort', stop));
    }
  }
  if (timeout > 0) {
    const timer = setTimeout(stop, timeout);
    timer.unref();
    h._onSettle(() => clearTimeout(timer));
  }
}

/**
 * spawnPrivate starts `file` with `args` as a private child and returns its
 * PrivateHandle. `file` is looked up in the child environment's PATH when
 * it has no slash; no shell is involved. It throws synchronously, with
 * `code`, `errno`, `syscall`, `path`, `spawnargs` and `step`, when the child
 * could not be started: the exec result is known before it returns.
 */
export function spawnPrivate(file: string, args?: readonly string[], options?: SpawnPrivateOptions): PrivateHandle {
  const o = normalizeOptions(file, args, options);
  // The addon calls onExit from the event loop only, so never before spawn returns.
  let handle: PrivateHandle | undefined;
  const onExit = (result: StatusTuple | number): void => handle!._exited(result);
  const env = o.env ?? [];
  const block = [...o.candidates, ...o.argv, ...env].join('\0') + '\0';
  const flags = (o.detached ? SPAWN_SETSID : 0) | (o.env === null ? SPAWN_INHERIT_ENV : 0);
  const r = native.spawn(o.backend, block, [o.candidates.length, o.argv.length, env.length], o.cwd, o.stdio, flags, onExit);
  if (!Array.isArray(r)) {
    if (r.step === STEP_NONE) {
      const report = backendReport(o.backend);
      if (report === null) throw backendUnavailable(o.backend, 'it is not compiled in on this platform');
      if (!report.available) throw backendUnavailable(o.backend, report.reason ?? 'unknown reason');
    }
    throw spawnError(o.file, o.argv, r.errno, r.step);
  }
  const [nativeHandle, pid, ...fds] = r;
  handle = new PrivateHandle(nativeHandle, pid, fds, o.file, o.argv);
  armCancellation(handle, o.signal, o.timeout, o.killSignal);
  return handle;
}

/**
 * forkPrivate runs a Node.js module as a private child: exactly
 * spawnPrivate(process.execPath, [...process.execArgv, modulePath, ...args], options).
 */
export function forkPrivate(modulePath: string, args?: readonly string[], options?: SpawnPrivateOptions): PrivateHandle {
  const checked = normalizeOptions(modulePath, args, undefined);
  return spawnPrivate(process.execPath, [...process.execArgv, checked.file, ...checked.args], options);
}
