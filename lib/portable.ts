/**
 * portable - the backend over what Node itself has: libuv's process handle,
 * through child_process.
 *
 * It is the backend of every platform without a native build (Windows
 * first), and can be chosen anywhere with `backend: 'portable'`. On Windows
 * a process handle is private by nature: nothing else in the process can
 * reap the child, and libuv signals it through the handle, which keeps the
 * process object (and so its pid) from being reused. Elsewhere it is
 * child_process with this package's API: a foreign waitpid(-1) can take
 * its status (and then it never learns of the exit), and a kill after such
 * a theft goes to the pid.
 *
 * It implements the addon's interface (Native), so lib/ does not branch on
 * it: the loader (native.ts) routes the 'portable' key and its handles here.
 */
import { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { notSupported, stepNumber } from './errors';
import type { BackendReport, Native, NativeHandle, StatusTuple } from './native';

// As in native/common/slots.h and lib/spawn.ts.
const SPAWN_SETSID = 0x1;
const SPAWN_INHERIT_ENV = 0x100;
const STDIO_PIPE = -1;
const STEP_NONE = stepNumber('none');
const STEP_DUP2 = stepNumber('dup2');
const STEP_SETUID = stepNumber('setuid');
const STEP_CHDIR = stepNumber('chdir');
const STEP_EXECVE = stepNumber('execve');
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const errno = constants.errno;

/** PortableChild is the portable backend's handle on one child. */
class PortableChild {
  readonly cp: ChildProcess;
  status: StatusTuple | null = null;

  constructor(cp: ChildProcess, onExit: (result: StatusTuple) => void) {
    this.cp = cp;
    cp.once('exit', (code, signal) => {
      const pid = cp.pid ?? 0;
      this.status =
        signal !== null
          ? [pid, CLD_KILLED, constants.signals[signal] ?? 0, 0, 0, 0, 0]
          : [pid, CLD_EXITED, code ?? 0, 0, 0, 0, 0];
      onExit(this.status);
    });
  }
}

function childOf(handle: NativeHandle): PortableChild {
  return handle as unknown as PortableChild;
}

/** isPortableHandle tells the loader which backend a handle belongs to. */
export function isPortableHandle(handle: NativeHandle): boolean {
  return (handle as unknown) instanceof PortableChild;
}

type Slot = 'pipe' | 'ignore' | number;

function slotOf(spec: number): Slot {
  if (spec === STDIO_PIPE) return 'pipe';
  if (spec >= 0) return spec;
  // A slot left closed becomes 'ignore' too: child_process cannot close a child's fd.
  return 'ignore';
}

function splitBlock(block: string, counts: [number, number, number]): string[][] {
  const all = block.split('\0');
  const candidates = all.slice(0, counts[0]);
  const argv = all.slice(counts[0], counts[0] + counts[1]);
  const env = all.slice(counts[0] + counts[1], counts[0] + counts[1] + counts[2]);
  return [candidates, argv, env];
}

function inheritedEnv(): string[] {
  return Object.entries(process.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}

/** The step a failed start most likely stopped at: child_process gives the errno only. */
function failedStep(cwd: string | null): number {
  if (cwd === null) return STEP_EXECVE;
  try {
    return statSync(cwd).isDirectory() ? STEP_EXECVE : STEP_CHDIR;
  } catch {
    return STEP_CHDIR;
  }
}

/** ChildProcess#spawn as child_process.spawn calls it, after its own option checks. */
interface RawSpawnOptions {
  file: string;
  args: string[];
  envPairs: string[];
  cwd?: string;
  stdio: Slot[];
  detached: boolean;
  windowsHide: boolean;
}
type RawSpawn = (options: RawSpawnOptions) => number;

function startChild(
  candidates: string[],
  options: Omit<RawSpawnOptions, 'file'>,
): { cp: ChildProcess | null; err: number } {
  let err = -errno.ENOENT;
  let sawEacces = false;
  for (const file of candidates) {
    const cp = new ChildProcess();
    // The errors it reports synchronously are also emitted: they are ours to report.
    cp.on('error', () => undefined);
    // Null-prototype options: child_process must not find a polluted Object.prototype.uid (or cwd...).
    const r = (cp as unknown as { spawn: RawSpawn }).spawn(Object.assign(Object.create(null), options, { file }));
    if (r === 0 || r === undefined) return { cp, err: 0 };
    if (r === -errno.EACCES) sawEacces = true;
    else if (r !== -errno.ENOENT && r !== -errno.ENOTDIR) return { cp: null, err: r };
  }
  return { cp: null, err: err === -errno.ENOENT && sawEacces ? -errno.EACCES : err };
}

const spawn: Native['spawn'] = (backend, block, counts, cwd, stdio, flags, onExit, creds) => {
  if (backend !== 'auto' && backend !== 'portable') return { errno: -errno.ENOSYS, step: STEP_NONE };
  if (creds !== null) return { errno: -errno.ENOTSUP, step: STEP_SETUID };
  const [candidates, argv, env] = splitBlock(block, counts);
  let started: { cp: ChildProcess | null; err: number };
  try {
    started = startChild(candidates, {
      args: argv,
      envPairs: flags & SPAWN_INHERIT_ENV ? inheritedEnv() : env,
      ...(cwd === null ? {} : { cwd }),
      stdio: stdio.map((spec) => slotOf(spec)),
      detached: (flags & SPAWN_SETSID) !== 0,
      windowsHide: true,
    });
  } catch (e) {
    started = { cp: null, err: (e as NodeJS.ErrnoException).errno ?? -errno.EINVAL };
  }
  const { cp, err } = started;
  if (cp === null) {
    const notFound = err === -errno.ENOENT || err === -errno.EACCES;
    return { errno: err, step: err === -errno.EBADF ? STEP_DUP2 : notFound ? failedStep(cwd) : STEP_EXECVE };
  }
  const child = new PortableChild(cp, onExit);
  const streams = cp.stdio.map((s) => s as Readable | Writable | null);
  return [child as unknown as NativeHandle, cp.pid ?? 0, ...streams];
};

const esrch = -errno.ESRCH;

/**
 * portableReport describes the backend in capabilities(). Its isolation is
 * the kernel's: with no SIGCHLD (Windows) there is no wait for any child
 * either, and nothing but the handle sees the child; elsewhere the child is
 * this process's ordinary child.
 */
export function portableReport(): BackendReport {
  const hidden = constants.signals.SIGCHLD === undefined;
  const why = "child_process starts the child as this process's ordinary child";
  return {
    key: 'portable',
    available: true,
    ...(hidden ? { directMissing: 'there is no wait for any child here' } : { hiddenMissing: why }),
    features: { hidden, direct: !hidden },
  };
}

/** portable is the backend as the loader sees it: the addon's interface. */
export const portable: Native = {
  spawn,
  tryReap: (handle) => childOf(handle).status,
  reap(handle) {
    const status = childOf(handle).status;
    if (status !== null) return status;
    throw notSupported(
      'waitSync()',
      'the portable backend learns of the exit from the event loop, which a blocked thread stops',
    );
  },
  signal(handle, signo, group) {
    const child = childOf(handle);
    if (child.status !== null) return esrch;
    try {
      if (group !== true) return child.cp.kill(signo) ? 0 : esrch;
      process.kill(-(child.cp.pid ?? 0), signo);
      return 0;
    } catch (e) {
      return (e as NodeJS.ErrnoException).errno ?? esrch;
    }
  },
  ref(handle, on) {
    if (on) childOf(handle).cp.ref();
    else childOf(handle).cp.unref();
  },
  waitpid: () => -errno.ENOSYS,
  rawWaitpid: () => -errno.ENOSYS,
  capabilities: () => ({ backends: [portableReport()], tableConflict: 0 }),
  backendName: () => 'portable',
  adopt: () => -errno.ENOTSUP,
  release: () => undefined,
  pumpSync() {
    // A synchronous run polls the child's pipes; child_process keeps them in its own streams.
    // runPrivateSync refuses this backend before it spawns: no child is ever left here.
    throw notSupported('runPrivateSync()', 'the portable backend has no pipes to poll while the thread is blocked');
  },
  shimActive: () => false,
  tableCount: () => 0,
};
