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
 * It finds the file itself, in this process, and starts one child per
 * spawn (see searchFile); on Windows that search is Windows' (Path,
 * PATHEXT), libuv's error numbers are its own there (portableErrno turns
 * them into the package's -errno), and there are no process groups.
 *
 * It implements the addon's interface (Native), so lib/ does not branch on
 * it: the loader (native.ts) routes the 'portable' key and its handles here.
 */
import { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { notSupported, stepNumber } from './errors';
import type { BackendReport, Native, NativeHandle, StatusTuple } from './backend';
import { posixShellForm, type ShellCommand } from './shell';

// As in native/common/slots.h and lib/spawn.ts.
const SPAWN_SETSID = 0x1;
const SPAWN_INHERIT_ENV = 0x100;
const SPAWN_VERBATIM = 0x200;
const STDIO_PIPE = -1;
const STDIO_SOCKET = -4;
const STEP_NONE = stepNumber('none');
const STEP_DUP2 = stepNumber('dup2');
const STEP_SETUID = stepNumber('setuid');
const STEP_CHDIR = stepNumber('chdir');
const STEP_EXECVE = stepNumber('execve');
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const errno = constants.errno;
const esrch = -errno.ESRCH;

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
  // libuv's 'pipe' is a socket pair on every fd (on Unix), which the IPC channel needs.
  if (spec === STDIO_PIPE || spec === STDIO_SOCKET) return 'pipe';
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

/**
 * @internal PortableHost is what the backend asks of the platform. Tests
 * (never users: this module is not one of the package's exports) put
 * Windows' answers in its place to run the Windows logic on any platform.
 */
export interface PortableHost {
  /** windows: PATHEXT applies, batch files need cmd.exe, and there are no process groups. */
  windows: boolean;
  /**
   * nativeBackend: binding.gyp builds a native backend for this platform
   * (Linux, macOS, FreeBSD), so that this backend is less than its best.
   */
  nativeBackend: boolean;
  /** errorName names a libuv error number: 'ENOENT' for -2 on Linux, for -4058 on Windows. */
  errorName(code: number): string;
  /** kill signals one child through its libuv handle: 0 or a libuv error number. */
  kill(cp: ChildProcess, signo: number): number;
  /** killGroup signals the process group `pgid` (POSIX only); throws as process.kill does. */
  killGroup(pgid: number, signo: number): void;
}

/** @internal portableHost is the platform as the portable backend sees it; see PortableHost. */
export const portableHost: PortableHost = {
  windows: process.platform === 'win32',
  nativeBackend: ['linux', 'darwin', 'freebsd'].includes(process.platform),
  errorName: getSystemErrorName,
  kill: (cp, signo) =>
    (cp as unknown as { _handle: { kill(signo: number): number } | null })._handle?.kill(signo) ?? esrch,
  killGroup: (pgid, signo) => process.kill(-pgid, signo),
};

/**
 * @internal portableErrno turns a libuv error number into the package's
 * -errno (os.constants.errno, as the native backends report): libuv's
 * numbers are -errno on POSIX but its own (-4058 for ENOENT) on Windows.
 * A name the platform has no errno for keeps libuv's number.
 */
export function portableErrno(code: number, host: PortableHost = portableHost): number {
  if (code >= 0) return code;
  let name: string;
  try {
    name = host.errorName(code);
  } catch {
    return code;
  }
  const n = (errno as Record<string, number | undefined>)[name];
  return n === undefined ? code : -n;
}

/** The batch-file extensions Windows runs only through cmd.exe. */
const batchExtensions = ['.bat', '.cmd'];

/** The env's value of `name`, its key compared as Windows compares them: ignoring case. */
function envValue(env: readonly string[], name: string): string | undefined {
  const prefix = `${name.toUpperCase()}=`;
  const entry = env.find((e) => e.slice(0, prefix.length).toUpperCase() === prefix);
  return entry?.slice(prefix.length);
}

/**
 * The names Windows would try for one candidate: PATHEXT's extensions
 * appended (lower-cased: the file system ignores case), after the name as
 * it is when it already has an extension (a name without one cannot run).
 */
function windowsNames(candidate: string, env: readonly string[]): string[] {
  const pathext = envValue(env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD';
  const exts = pathext.split(';').filter((e) => e.startsWith('.'));
  const withExts = exts.map((e) => candidate + e.toLowerCase());
  return path.win32.extname(candidate) === '' ? withExts : [candidate, ...withExts];
}

/** Found is a resolved file, or why none was: -errno and step, or a batch file Windows runs only through cmd.exe. */
export type Found = { file: string } | { errno: number; step: number } | { batch: string };

/**
 * @internal searchFile picks, in this process, the candidate execvp would
 * run (the first regular file the caller may execute; on Windows, with
 * PATHEXT's extensions), so that one child is started per spawn: a libuv
 * spawn that fails after the fork is a child that a foreign waitpid(-1)
 * can reap before libuv does, and libuv aborts the process then. A missing
 * cwd is step 'chdir', as the native backends report it. Relative
 * candidates are relative to the child's cwd.
 */
export function searchFile(
  candidates: readonly string[],
  env: readonly string[],
  cwd: string | null,
  host = portableHost,
): Found {
  if (cwd !== null) {
    try {
      if (!statSync(cwd).isDirectory()) return { errno: -errno.ENOTDIR, step: STEP_CHDIR };
      accessSync(cwd, fsConstants.X_OK);
    } catch (e) {
      return { errno: portableErrno((e as NodeJS.ErrnoException).errno ?? -errno.ENOENT, host), step: STEP_CHDIR };
    }
  }
  let err = -errno.ENOENT;
  for (const candidate of candidates) {
    for (const name of host.windows ? windowsNames(candidate, env) : [candidate]) {
      const file = path.resolve(cwd ?? '.', name);
      try {
        if (!statSync(file).isFile()) {
          err = -errno.EACCES;
          continue;
        }
        accessSync(file, fsConstants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') err = -errno.EACCES;
        continue;
      }
      const batch = host.windows && batchExtensions.includes(path.win32.extname(file).toLowerCase());
      return batch ? { batch: file } : { file };
    }
  }
  return { errno: err, step: STEP_EXECVE };
}

/**
 * @internal portableShellForm is the portable backend's form of the `shell`
 * option, as child_process has it: on Windows, cmd.exe (ComSpec, for true)
 * with `/d /s /c "<command>"` and the args passed verbatim, or `-c` for a
 * shell that is not cmd; elsewhere `/bin/sh -c`.
 */
export function portableShellForm(shell: string | true, command: string, host = portableHost): ShellCommand {
  if (!host.windows) return posixShellForm(shell, command);
  const file = shell === true ? process.env.ComSpec || 'cmd.exe' : shell;
  const isCmd = ['cmd', 'cmd.exe'].includes(path.win32.basename(file).toLowerCase());
  if (!isCmd) return { file, args: ['-c', command], verbatim: false };
  return { file, args: ['/d', '/s', '/c', `"${command}"`], verbatim: true };
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
  windowsVerbatimArguments: boolean;
}
type RawSpawn = (options: RawSpawnOptions) => number;

/** The step a libuv spawn failed at, from its -errno: child_process gives the errno only. */
function failedStep(err: number): number {
  if (err === -errno.EBADF) return STEP_DUP2;
  return STEP_EXECVE;
}

const spawn: Native['spawn'] = (backend, block, counts, cwd, stdio, flags, onExit, creds, privs, cgroup) => {
  if (backend !== 'auto' && backend !== 'portable') return { errno: -errno.ENOSYS, step: STEP_NONE };
  if (creds !== null || privs !== null || cgroup !== null) return { errno: -errno.ENOTSUP, step: STEP_SETUID };
  const [candidates, argv, env] = splitBlock(block, counts);
  const envPairs = flags & SPAWN_INHERIT_ENV ? inheritedEnv() : env;
  const found = searchFile(candidates, envPairs, cwd);
  if ('batch' in found) {
    throw notSupported(
      `running ${path.win32.basename(found.batch)} (a .bat or .cmd file) without a shell`,
      'Windows runs batch files only through cmd.exe: give the `shell` option (true runs cmd.exe)',
    );
  }
  if ('errno' in found) return found;
  const cp = new ChildProcess();
  // The errors it reports synchronously are also emitted: they are ours to report.
  cp.on('error', () => undefined);
  let r: number;
  try {
    // Null-prototype options: child_process must not find a polluted Object.prototype.uid (or cwd...).
    const options: RawSpawnOptions = Object.assign(Object.create(null), {
      file: found.file,
      args: argv,
      envPairs,
      ...(cwd === null ? {} : { cwd }),
      stdio: stdio.map((spec) => slotOf(spec)),
      detached: (flags & SPAWN_SETSID) !== 0,
      windowsHide: true,
      windowsVerbatimArguments: (flags & SPAWN_VERBATIM) !== 0,
    });
    r = (cp as unknown as { spawn: RawSpawn }).spawn(options);
  } catch (e) {
    r = (e as NodeJS.ErrnoException).errno ?? -errno.EINVAL;
  }
  if (r !== 0 && r !== undefined) {
    const err = portableErrno(r);
    return { errno: err, step: failedStep(err) };
  }
  const child = new PortableChild(cp, onExit);
  const streams = cp.stdio.map((s) => s as Readable | Writable | null);
  return [child as unknown as NativeHandle, cp.pid ?? 0, ...streams];
};

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
    childDescriptors: 0,
  };
}

/** portable is the backend as the loader sees it: the addon's interface. */
export const portable: Native = {
  spawn,
  shellForm: (shell, command) => portableShellForm(shell, command),
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
    // Windows has no process groups to signal: there a group is the child alone.
    if (group !== true || portableHost.windows) return portableErrno(portableHost.kill(child.cp, signo));
    try {
      portableHost.killGroup(child.cp.pid ?? 0, signo);
      return 0;
    } catch (e) {
      return portableErrno((e as NodeJS.ErrnoException).errno ?? esrch);
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
  // Its children's pipes are child_process's streams, never descriptors: nothing to read here.
  readStart: () => -errno.ENOSYS,
  readControl: () => undefined,
  shimActive: () => false,
  passwd: () => null,
  tableCount: () => 0,
};
