/**
 * spawn - spawnPrivate and forkPrivate.
 */
import { constants } from 'node:os';
import { notSupported, spawnError } from './errors';
import { createHandle, onSettle, settle, type PrivateHandle } from './handle';
import type { PrivateHandleFor } from './handle-types';
import { native, type StatusTuple } from './native';
import { normalizeOptions, splitArgs, type Normalized, type SpawnPrivateOptions, type StdioOption } from './options';
import { chooseBackend, type Chosen } from './capabilities';
import { refuseDegraded } from './degraded';
import { armCancellation } from './cancel';
import { stopReading } from './handover';
import { privsOptionNames, privsSupport } from './privs';
import { checkOptions } from './check';
import { withIpc } from './ipc-options';

// Spawn flags, as in native/common/backend.h and addon.c.
const SPAWN_SETSID = 0x1;
const SPAWN_HIDDEN = 0x2;
const SPAWN_INHERIT_ENV = 0x100;
// The portable backend's only: the args go to Windows unquoted. The addon never gets it.
const SPAWN_VERBATIM = 0x200;

/**
 * spawnPrivate starts `file` with `args` as a private child and returns its
 * PrivateHandle. `file` is looked up in the child environment's PATH when
 * it has no slash; no shell is involved. It throws synchronously, with
 * `code`, `errno`, `syscall`, `path`, `spawnargs` and `step`, when the child
 * could not be started: the exec result is known before it returns.
 * Aborting `options.signal` or passing `options.timeout` sends killSignal
 * (then SIGKILL after `killGraceMs`); wait() still resolves with the status.
 */
export function spawnPrivate<const S extends StdioOption | undefined = undefined>(
  file: string,
  args?: readonly string[],
  options?: SpawnPrivateOptions & { stdio?: S },
): PrivateHandleFor<S>;
export function spawnPrivate<const S extends StdioOption | undefined = undefined>(
  file: string,
  options: SpawnPrivateOptions & { stdio?: S },
): PrivateHandleFor<S>;
export function spawnPrivate(file: string, args?: unknown, options?: SpawnPrivateOptions): PrivateHandle {
  const o = normalizeOptions(file, ...splitArgs(args, options));
  const handle = spawnNormalized(o);
  onSettle(handle, armCancellation(handle, o).disarm);
  return handle;
}

/**
 * @internal chooseFor picks the backend and isolation of a spawn from its
 * checked options, and warns or, under `strict`, throws when that backend
 * is less than this platform's best (degraded.ts).
 */
export function chooseFor(o: Normalized): Chosen {
  const chosen = chooseBackend(o.backend, o.isolation);
  refuseDegraded(chosen.backend, o.strict);
  return chosen;
}

/**
 * @internal spawnNormalized starts a child from checked options, without
 * cancellation; with `streams` false its pipes stay raw fds (see rawFds).
 * `outputs`, when given, gets the parent's ends of fds 1 and 2 (-1 where a
 * slot is not a pipe, or is the portable backend's stream), which the
 * handle then leaves alone: the caller reads them (runPrivate's capture).
 */
export function spawnNormalized(o: Normalized, streams = true, outputs?: number[]): PrivateHandle {
  const chosen = chooseFor(o);
  // The addon calls onExit from the event loop only, so never before spawn returns.
  let handle: PrivateHandle | undefined;
  const onExit = (result: StatusTuple | number): void => settle(handle!, result);
  const env = o.env ?? [];
  const block = [...o.candidates, ...o.argv, ...env].join('\0') + '\0';
  const flags =
    (o.detached ? SPAWN_SETSID : 0) |
    (chosen.isolation === 'hidden' ? SPAWN_HIDDEN : 0) |
    (o.env === null ? SPAWN_INHERIT_ENV : 0) |
    (o.verbatim ? SPAWN_VERBATIM : 0);
  const counts: [number, number, number] = [o.candidates.length, o.argv.length, env.length];
  const r = native.spawn(chosen.backend, block, counts, o.cwd, o.stdio, flags, onExit, o.creds, o.privs, o.cgroup);
  if (!Array.isArray(r)) {
    if (r.errno === -constants.errno.ENOTSUP && (o.privs !== null || o.cgroup !== null)) {
      throw notSupported(`some of ${privsOptionNames}`, `not on the ${chosen.backend} backend: ${privsSupport}`);
    }
    if (r.errno === -constants.errno.ENOTSUP && o.creds !== null) {
      throw notSupported(
        'uid, gid, groups, umask and dieWithParent',
        `the ${chosen.backend} backend starts children with posix_spawn or child_process, which cannot set them`,
      );
    }
    throw spawnError(o.file, o.argv, r.errno, r.step);
  }
  stopReading(o.handed);
  const [nativeHandle, pid, ...fds] = r;
  if (outputs !== undefined) {
    for (const i of [1, 2]) {
      const fd = fds[i];
      outputs.push(typeof fd === 'number' ? fd : -1);
      if (typeof fd === 'number') fds[i] = -1;
    }
  }
  handle = createHandle({
    native: nativeHandle,
    pid,
    fds,
    streams,
    file: o.file,
    argv: o.argv,
    detached: o.detached,
    killSignal: o.killSignal,
    killGraceMs: o.killGraceMs,
    isolation: chosen.isolation,
    ipc: o.ipc,
  });
  return handle;
}

/**
 * The Node flags a forked child gets: process.execArgv without an eval
 * script (`-e`, `--eval`, `-p`, `--print`, `-pe` and the script that
 * follows, or `--eval=script`), as Node's fork() leaves it out. In a parent
 * started with `node -e`, the child would run that script again instead of
 * the module, and fork again in turn. A `-p` or `--print` followed by
 * another flag is only the order to print, whose script follows that flag.
 */
function forkFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const next = execArgv[i + 1];
    if (flag === '-e' || flag === '--eval' || flag === '-pe') i++;
    else if (flag === '-p' || flag === '--print') i += next !== undefined && !next.startsWith('-') ? 1 : 0;
    else if (!flag.startsWith('--eval=') && !flag.startsWith('--print=')) kept.push(flag);
  }
  return kept;
}

/**
 * forkPrivate runs a Node.js module as a private child: exactly
 * spawnPrivate(process.execPath, [...process.execArgv, modulePath, ...args], options),
 * except that an eval script of this process (`node -e`, `node -p`) is left
 * out of process.execArgv, as Node's fork() does, so that the child runs the
 * module rather than the script again. The child always has an IPC
 * channel (`process.send`): 'ipc' is appended to `stdio` when it has none,
 * after fds 0–2 ('pipe' by default).
 */
export function forkPrivate<const S extends StdioOption | undefined = undefined>(
  modulePath: string,
  args?: readonly string[],
  options?: SpawnPrivateOptions & { stdio?: S },
): PrivateHandleFor<S>;
export function forkPrivate<const S extends StdioOption | undefined = undefined>(
  modulePath: string,
  options: SpawnPrivateOptions & { stdio?: S },
): PrivateHandleFor<S>;
export function forkPrivate(modulePath: string, args?: unknown, options?: SpawnPrivateOptions): PrivateHandle {
  [args, options] = splitArgs(args, options) as [unknown, SpawnPrivateOptions | undefined];
  const checked = normalizeOptions(modulePath, args, undefined);
  const o = checkOptions(options);
  const withChannel = { ...o, stdio: withIpc(o.stdio) } as SpawnPrivateOptions;
  return spawnPrivate(process.execPath, [...forkFlags(process.execArgv), checked.file, ...checked.args], withChannel);
}
