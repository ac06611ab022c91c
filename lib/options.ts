/**
 * options - SpawnPrivateOptions and the one pipeline that checks them.
 *
 * Every option has one validator; normalizeOptions calls them in order and
 * returns plain data that spawn.ts hands to the addon. Nothing is spawned
 * before every argument has been checked.
 */
import path from 'node:path';
import type { Stream } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import {
  checkBoolean,
  checkInteger,
  checkOneOf,
  checkOptions,
  envSetting,
  mapOwn,
  optionNames,
  ownValue,
  refuseUnknown,
  type Keys,
  type OptionNames,
} from './check';
import { checkCreds } from './creds';
import { checkStrict } from './degraded';
import { checkEnv, envBlock } from './env';
import { loginEnv } from './login';
import { checkPrivs, type CapabilityName, type Rlimits } from './privs';
import { handedStreams } from './handover';
import { ipcEnv, takeIpcSlot, type IpcSetting } from './ipc-options';
import type { Serialization } from './ipc-wire';
import { toSignal } from './signals';
import { native } from './native';
import { withShell } from './shell';
import { refuseUnsupported, unsupportedNames, type Api } from './unsupported';

/**
 * StdioSlot is what one child fd is connected to: 'pipe', 'inherit',
 * 'ignore', 'ipc' (Node's IPC channel, at most one: see PrivateHandle.send),
 * a parent fd number, or a Node stream that has a file descriptor
 * (a socket, a TTY, process.stdout, a file stream once it has emitted
 * 'open'), which the child gets a copy of, as with child_process.
 */
export type StdioSlot = 'pipe' | 'inherit' | 'ignore' | 'ipc' | number | Stream | null | undefined;

/** StdioOption is one StdioSlot for fds 0–2, or an array of them, one per fd. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | Stream | readonly StdioSlot[];

import type { BackendKey, BackendName } from './backend';

export type { BackendKey, BackendName };

/**
 * Isolation is how far a child is kept from this process's own waits:
 * 'hidden', not this process's child at all (no waitpid(-1), no SIGCHLD,
 * no SIG_IGN can touch it), or 'direct', this process's own child, kept
 * private by its pidfd and the package's table.
 */
export type Isolation = 'hidden' | 'direct';

/**
 * SpawnPrivateOptions are the options of spawnPrivate and forkPrivate. A
 * name that is none of them (a typo) throws ERR_INVALID_ARG_VALUE naming
 * the closest one, unless its value is undefined; so do the options of every
 * other export.
 */
export interface SpawnPrivateOptions {
  /** cwd is the child's working directory (default: the parent's). */
  cwd?: string | URL;
  /** env is the child's environment (default: process.env); undefined values are left out. */
  env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** argv0 is the child's argv[0] (default: `file`). */
  argv0?: string;
  /**
   * stdio connects the child's fds: 'pipe' (a stream on the handle), 'inherit'
   * (the parent's same fd), 'ignore' (/dev/null), a parent fd number or a
   * Node stream with a file descriptor (see StdioSlot); one value for fds
   * 0–2 or an array, one per fd (default 'pipe').
   */
  stdio?: StdioOption;
  /**
   * preferLocal looks a `file` without a slash up in `node_modules/.bin` of
   * `cwd` and of each directory above it, nearest first, before the PATH
   * (default false). The child's own PATH is left as it is.
   */
  preferLocal?: boolean;
  /**
   * shell runs the command line through a shell: true for `/bin/sh`, or the
   * path of one, started as `shell -c "file args..."`, `file` and `args`
   * joined with spaces, nothing quoted (default false: no shell); on Windows
   * `cmd.exe /d /s /c "file args..."`, as child_process runs it there. Never
   * build that line from input you do not control: the shell expands `$`,
   * backquotes, `;` and `|` in it.
   */
  shell?: boolean | string;
  /** detached starts the child in a new session (setsid), away from our terminal's signals. */
  detached?: boolean;
  /** signal aborts the child: it is sent `killSignal` when the signal aborts. */
  signal?: AbortSignal;
  /** timeout, in milliseconds, after which the child is sent `killSignal` (default: none). */
  timeout?: number;
  /** killSignal is the signal sent on abort or timeout (default 'SIGTERM'). */
  killSignal?: NodeJS.Signals | number;
  /**
   * killGraceMs, in milliseconds, is how long a child may outlive the
   * killSignal sent on abort or timeout before it gets SIGKILL (default:
   * never). It does not apply to kill() calls of your own.
   */
  killGraceMs?: number;
  /**
   * backend picks the implementation: 'auto' (default, or the environment
   * variable PRIVATE_PROCESS_BACKEND) takes the best one available;
   * 'portable' is child_process's libuv process handle, the backend of a
   * platform without a native build (Windows), usable everywhere.
   */
  backend?: BackendName;
  /**
   * isolation is 'hidden' (the default where the backend can: Linux, every
   * kernel) or 'direct' (the child is this process's own; the fallback's
   * only way); also the environment variable PRIVATE_PROCESS_ISOLATION.
   * Asking for one the backend cannot give throws ERR_NOT_SUPPORTED with
   * the reason; capabilities().isolations says what can be had here.
   */
  isolation?: Isolation;
  /**
   * strict makes a spawn throw ERR_PRIVATE_PROCESS_DEGRADED, starting
   * nothing, where it would use a backend less than this platform's best
   * (the portable backend on Linux, macOS or FreeBSD: no native build could
   * be loaded, or it was asked for); without it such a process warns once
   * (code PRIVATE_PROCESS_DEGRADED). Default: the environment variable
   * PRIVATE_PROCESS_STRICT=1, else false.
   */
  strict?: boolean;
  /**
   * uid is the user the child runs as (setresuid). Setting uid or gid drops
   * the supplementary groups unless `groups` says which to keep; a step that
   * fails fails the spawn (`step` 'setgroups', 'setgid' or 'setuid'), so the
   * child never runs with half its identity. Needs the privilege to do so.
   * A uid other than this process's also gives the child HOME, USER,
   * LOGNAME and SHELL of its passwd entry (looked up before the spawn), as
   * runuser does, except those that `env` itself sets; for a uid without
   * an entry, this process's are left out.
   */
  uid?: number;
  /** gid is the group the child runs as (setresgid); see `uid`. */
  gid?: number;
  /** groups are the child's supplementary groups (setgroups), set before gid and uid. */
  groups?: readonly number[];
  /** umask is the child's file mode creation mask, a number such as 0o022 or an octal string '022'. */
  umask?: number | string;
  /**
   * dieWithParent sends the child a signal (true: SIGKILL) when the thread
   * that spawned it ends — on the main thread, when this process ends; in a
   * worker, when that worker ends (Linux PR_SET_PDEATHSIG; armed after the
   * uid change, which would clear it, then the parent is checked again so
   * that a parent that died meanwhile is not missed).
   */
  dieWithParent?: boolean | NodeJS.Signals | number;
  /**
   * ambientCapabilities are the Linux capabilities the program holds after
   * exec, in its permitted and effective sets, even as the non-root `uid`
   * it is dropped to (systemd's AmbientCapabilities=): they are kept across
   * the uid change (PR_SET_KEEPCAPS), the child's permitted, effective and
   * inheritable sets become exactly these, and they are raised into its
   * ambient set. Names as capabilities(7) spells them, upper case:
   * 'CAP_PERFMON'. The spawn fails with EPERM (`step` 'capabilities')
   * before anything starts when this process does not hold one of them
   * (permitted and bounding sets). Without it, a child that changes
   * identity gets no ambient or inheritable capability. A root child that
   * stays root still gets every capability of its bounding set at exec,
   * by the kernel's rule for root: restrict it with capabilityBoundingSet.
   * Linux backend only; elsewhere ERR_NOT_SUPPORTED.
   */
  ambientCapabilities?: readonly CapabilityName[];
  /**
   * capabilityBoundingSet is every capability the child and what it runs
   * may ever hold (systemd's CapabilityBoundingSet=): every other one is
   * dropped from its bounding set (PR_CAPBSET_DROP, `step` 'bounding_set';
   * it needs CAP_SETPCAP). It must include the ambientCapabilities.
   * Linux backend only; elsewhere ERR_NOT_SUPPORTED.
   */
  capabilityBoundingSet?: readonly CapabilityName[];
  /**
   * noNewPrivileges sets no_new_privs in the child (systemd's
   * NoNewPrivileges=, PR_SET_NO_NEW_PRIVS, `step` 'no_new_privs'): no
   * setuid, setgid or file-capability program it runs gains privilege.
   * Linux and FreeBSD (PROC_NO_NEW_PRIVS_CTL, 14.0) backends; elsewhere
   * ERR_NOT_SUPPORTED.
   */
  noNewPrivileges?: boolean;
  /**
   * rlimits are resource limits of the child (systemd's Limit*=, prlimit):
   * `{ nofile: 1024, core: 0, as: { soft: 2 ** 30, hard: Infinity } }`. A
   * number sets the soft and hard limit alike; Infinity is unlimited; the
   * soft limit may not exceed the hard one. They are set before the uid
   * change; raising a hard limit needs CAP_SYS_RESOURCE (else EPERM, `step`
   * 'rlimits'). Linux and FreeBSD (without locks, sigpending, msgqueue,
   * nice, rtprio and rttime there); elsewhere ERR_NOT_SUPPORTED.
   */
  rlimits?: Rlimits;
  /**
   * nice is the child's nice value, -20 to 19 (systemd's Nice=,
   * setpriority; `step` 'nice'); lowering it below this process's needs
   * CAP_SYS_NICE. Linux and FreeBSD backends; elsewhere ERR_NOT_SUPPORTED.
   */
  nice?: number;
  /**
   * cpuAffinity are the CPUs the child may run on, numbers from 0 to 1023
   * (systemd's CPUAffinity=, sched_setaffinity, FreeBSD's
   * cpuset_setaffinity; `step` 'cpu_affinity'). Linux and FreeBSD
   * backends; elsewhere ERR_NOT_SUPPORTED.
   */
  cpuAffinity?: readonly number[];
  /**
   * cgroup is the cgroup v2 directory the child runs in, an absolute path
   * such as '/sys/fs/cgroup/tool/helper' (systemd's Slice= and
   * Delegate=, for one child). It is opened before the spawn (ENOENT,
   * EACCES, or EINVAL when it is not a cgroup v2 directory, `step`
   * 'cgroup', and nothing starts); the child starts inside it, never
   * running a moment outside (clone3 with CLONE_INTO_CGROUP, Linux 5.7),
   * or, on older kernels, joins it first thing after the clone, before
   * anything else it does and long before exec. Limits set on the cgroup
   * (memory.max, pids.max, cpu.max) apply to the child and what it starts.
   * Linux backend only; elsewhere ERR_NOT_SUPPORTED.
   */
  cgroup?: string;
  /**
   * serialization is the wire format of the 'ipc' channel: 'json' (the
   * default; JSON.stringify's text, one message a line) or 'advanced' (the
   * v8 serializer: Buffers, Maps, Sets, BigInts, cyclic objects), as with
   * child_process; the child reads it from NODE_CHANNEL_SERIALIZATION_MODE.
   */
  serialization?: Serialization;
}

/** spawnKeys are the names of SpawnPrivateOptions; a new option is added here too. */
export const spawnKeys: Keys<SpawnPrivateOptions> = {
  cwd: true,
  env: true,
  argv0: true,
  stdio: true,
  preferLocal: true,
  detached: true,
  signal: true,
  timeout: true,
  killSignal: true,
  killGraceMs: true,
  backend: true,
  isolation: true,
  uid: true,
  gid: true,
  groups: true,
  umask: true,
  dieWithParent: true,
  ambientCapabilities: true,
  capabilityBoundingSet: true,
  noNewPrivileges: true,
  rlimits: true,
  nice: true,
  cpuAffinity: true,
  cgroup: true,
  strict: true,
  shell: true,
  serialization: true,
};

const spawnOptionNames = optionNames<SpawnPrivateOptions>('spawnPrivate or forkPrivate', spawnKeys);

/** Normalized is what spawn.ts gets from normalizeOptions. */
export interface Normalized {
  file: string;
  args: string[];
  argv: string[];
  /** verbatim: the args reach Windows unquoted (cmd.exe's form of `shell` on the portable backend). */
  verbatim: boolean;
  candidates: string[];
  /** env is the child's environment block, or null for this process's own environ, unchanged. */
  env: string[] | null;
  cwd: string | null;
  stdio: number[];
  /** handed are the Node streams among the stdio slots, which this process stops reading once a child has them. */
  handed: Stream[];
  detached: boolean;
  signal: AbortSignal | null;
  timeout: number;
  killSignal: number;
  /** killGraceMs is the delay before SIGKILL follows killSignal, or null for never. */
  killGraceMs: number | null;
  backend: BackendName;
  /** isolation is the one asked for, or null for the best the backend gives. */
  isolation: Isolation | null;
  /** strict refuses a backend less than this platform's best (degraded.ts). */
  strict: boolean;
  /** creds is [uid, gid, umask, pdeathsig, ngroups, ...groups] for the addon (-1: unchanged), or null. */
  creds: number[] | null;
  /** privs is the least-privilege settings for the addon (see checkPrivs), or null. */
  privs: number[] | null;
  /** cgroup is the cgroup v2 directory the child starts in, or null. */
  cgroup: string | null;
  /** ipc is the IPC channel's fd in the child (-1 for none) and its wire format. */
  ipc: IpcSetting;
}

// The addon's stdio kinds, as in native/common/slots.h.
const STDIO_PIPE = -1;
const STDIO_IGNORE = -2;
const STDIO_NONE = -3;
const STDIO_SOCKET = -4;
const MAX_SLOTS = 1024;
const MAX_DELAY = 2 ** 31 - 1; // setTimeout's limit
const backends: readonly BackendName[] = ['auto', 'linux', 'freebsd', 'fallback', 'portable'];
const isolations: readonly Isolation[] = ['hidden', 'direct'];

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'string', value);
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value;
}

/** As child_process: numbers and bigints in args are taken as their decimal strings. */
function checkArgs(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw invalidArgType('args', 'Array', args);
  const text = (a: unknown): unknown => (typeof a === 'number' || typeof a === 'bigint' ? String(a) : a);
  return mapOwn(args, (a, i) => checkString(`args[${i}]`, text(a)));
}

function checkCwd(cwd: unknown): string | null {
  if (cwd === undefined || cwd === null) return null;
  if (cwd instanceof URL) return checkString('options.cwd', fileURLToPath(cwd));
  return checkString('options.cwd', cwd);
}

/** The node_modules/.bin folders of dir and of every folder above it, nearest first. */
function localBins(dir: string): string[] {
  const bins: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    bins.push(path.join(d, 'node_modules', '.bin'));
    if (path.dirname(d) === d) return bins;
  }
}

/**
 * The key the child's PATH is under: PATH, or, in an env without an own
 * PATH key, its own key of any other case (Windows spells it Path, and its
 * keys are case-insensitive; on POSIX such an env is rare, and execvp
 * would search its default path instead).
 */
function searchPathKey(env: Record<string, unknown>): string {
  if (Object.hasOwn(env, 'PATH')) return 'PATH';
  return Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
}

/**
 * Like execvp: a name without a slash is looked up in the child's PATH,
 * after the local bins when preferLocal (from cwd, or ours) asks for them.
 * PATH is split at path.delimiter (';' on Windows, where the portable
 * backend then tries PATHEXT's extensions).
 */
function pathCandidates(file: string, env: Record<string, unknown>, local: string | null): string[] {
  if (file.includes('/') || file.includes(path.sep)) return [file];
  const PATH = ownValue(env, searchPathKey(env));
  const searchPath = typeof PATH === 'string' ? PATH : '/bin:/usr/bin';
  const dirs = [...(local === null ? [] : localBins(local)), ...searchPath.split(path.delimiter)];
  return dirs.map((dir) => (dir === '' ? `.${path.sep}${file}` : `${dir.replace(/[\\/]+$/, '')}${path.sep}${file}`));
}

/** The file descriptor under a Node stream: a file stream's fd, or a socket's, TTY's or pipe's handle's. */
function streamFd(slot: object): number | null {
  const s = slot as { fd?: unknown; _handle?: { fd?: unknown } | null };
  const fd = typeof s.fd === 'number' ? s.fd : s._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

function checkSlot(slot: unknown, fd: number): number {
  if (slot === undefined || slot === null) return fd < 3 ? STDIO_PIPE : STDIO_NONE;
  if (slot === 'pipe') return STDIO_PIPE;
  if (slot === 'ignore') return STDIO_IGNORE;
  if (slot === 'inherit') return fd;
  if (typeof slot === 'number') {
    if (!Number.isInteger(slot) || slot < 0)
      throw outOfRange(`options.stdio[${fd}]`, 'a non-negative integer fd', slot);
    return slot;
  }
  if (typeof slot === 'object' && typeof (slot as Stream).pipe === 'function') {
    const under = streamFd(slot);
    if (under !== null) return under;
    throw invalidArgValue(
      `options.stdio[${fd}]`,
      slot,
      "must be a stream with a file descriptor (a file stream has one once it has emitted 'open')",
    );
  }
  throw invalidArgValue(`options.stdio[${fd}]`, slot, "must be 'pipe', 'inherit', 'ignore', an fd number or a stream");
}

/** checkStdio gives the addon's stdio spec; the IPC channel's slot (`ipcFd`, -1: none) is a socket pair, 0–2 too. */
function checkStdio(stdio: unknown, ipcFd: number): number[] {
  if (stdio === undefined || stdio === null) stdio = 'pipe';
  if (!Array.isArray(stdio)) {
    const isStream = typeof stdio === 'object' && typeof (stdio as Stream).pipe === 'function';
    if (typeof stdio !== 'string' && typeof stdio !== 'number' && !isStream) {
      throw invalidArgType('options.stdio', 'string, number, stream or Array', stdio);
    }
    stdio = [stdio, stdio, stdio];
  }
  const slots = stdio as unknown[];
  if (slots.length > MAX_SLOTS) throw outOfRange('options.stdio.length', `<= ${MAX_SLOTS}`, slots.length);
  const out = mapOwn(slots, checkSlot);
  while (out.length < 3) out.push(checkSlot(undefined, out.length));
  if (ipcFd >= 0) out[ipcFd] = STDIO_SOCKET;
  return out;
}

function checkCgroup(cgroup: unknown): string | null {
  if (cgroup === undefined || cgroup === null) return null;
  if (!path.isAbsolute(checkString('options.cgroup', cgroup)))
    throw invalidArgValue('options.cgroup', cgroup, 'must be an absolute path');
  return cgroup as string;
}

/**
 * As child_process: any AbortSignal-like object, one with `aborted` and the
 * event listener methods (another realm's, a polyfill's), not only this
 * realm's AbortSignal.
 */
function checkAbortSignal(signal: unknown): AbortSignal | null {
  if (signal === undefined || signal === null) return null;
  const s = signal as Partial<AbortSignal>;
  const like =
    typeof signal === 'object' &&
    'aborted' in signal &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function';
  if (!like) throw invalidArgType('options.signal', 'AbortSignal', signal);
  return signal as AbortSignal;
}

function checkTimeout(timeout: unknown): number {
  if (timeout === undefined || timeout === null) return 0;
  return checkInteger('options.timeout', timeout, 0, MAX_DELAY);
}

/** A kill signal of 0 would only check that the child exists, and stop nothing. */
function checkKillSignal(signal: unknown): number {
  if (signal === undefined) return toSignal('SIGTERM');
  const signo = toSignal(signal, 'options.killSignal');
  if (signo === 0) throw invalidArgValue('options.killSignal', signal, 'must be a signal that stops the child, not 0');
  return signo;
}

function checkKillGraceMs(grace: unknown): number | null {
  if (grace === undefined || grace === null) return null;
  return checkInteger('options.killGraceMs', grace, 0, MAX_DELAY);
}

/**
 * checkBackend checks the `backend` option of spawnPrivate, the runs and
 * adopt: undefined or null is PRIVATE_PROCESS_BACKEND, else 'auto'.
 */
export function checkBackend(backend: unknown): BackendName {
  return checkOneOf('options.backend', backend ?? envSetting('PRIVATE_PROCESS_BACKEND') ?? 'auto', backends);
}

function checkIsolation(isolation: unknown): Isolation | null {
  const chosen = isolation ?? (envSetting('PRIVATE_PROCESS_ISOLATION') || null);
  return chosen === null ? null : checkOneOf('options.isolation', chosen, isolations);
}

/**
 * splitArgs lets options take the place of args, as child_process allows:
 * `spawnPrivate('ls', { cwd })`. It returns [args, options].
 */
export function splitArgs(args: unknown, options: unknown): [unknown, unknown] {
  const optionsFirst = typeof args === 'object' && args !== null && !Array.isArray(args);
  if (optionsFirst && options === undefined) return [undefined, args];
  return [args, options];
}

/**
 * normalizeOptions checks every argument of spawnPrivate (or, by `api` and
 * `known`, of runPrivate and runPrivateSync, which check their own options
 * first) and prepares what the child needs. It reads the options' own
 * properties only (checkOptions), never an inherited one, and refuses a
 * name that is not one of `known`.
 */
export function normalizeOptions(
  file: unknown,
  args: unknown,
  options: unknown,
  api: Api = 'spawn',
  known: OptionNames = spawnOptionNames,
): Normalized {
  checkString('file', file);
  if ((file as string).length === 0) throw invalidArgValue('file', file, 'cannot be empty');
  const o = checkOptions(options);
  refuseUnsupported(o, api);
  refuseUnknown(o, known, unsupportedNames);
  const shell = withShell(file as string, checkArgs(args), o.shell, native.shellForm);
  file = shell.file;
  const checkedArgs = shell.args;
  const argv0 = o.argv0 === undefined ? (file as string) : checkString('options.argv0', o.argv0);
  const env = checkEnv(o.env);
  const { stdio, ipc } = takeIpcSlot(o.stdio, o.serialization);
  // On the main thread process.env is the process's environ itself, which the
  // addon can pass on as it is; a worker's process.env is its own copy.
  const creds = checkCreds(o);
  // A new uid gets its own HOME, USER, LOGNAME and SHELL, unless `env` sets them.
  const login = loginEnv(o.uid, o.env === undefined || o.env === null ? null : env, env);
  const inherit = o.env === undefined && isMainThread && login === null && ipc.fd < 0;
  return {
    file: file as string,
    args: checkedArgs,
    argv: [argv0, ...checkedArgs],
    verbatim: shell.verbatim,
    candidates: pathCandidates(
      file as string,
      env,
      checkBoolean('options.preferLocal', o.preferLocal) ? (checkCwd(o.cwd) ?? process.cwd()) : null,
    ),
    env: inherit ? null : ipcEnv(envBlock(login ?? env), ipc),
    cwd: checkCwd(o.cwd),
    stdio: checkStdio(stdio, ipc.fd),
    handed: handedStreams(o.stdio),
    detached: checkBoolean('options.detached', o.detached),
    signal: checkAbortSignal(o.signal),
    timeout: checkTimeout(o.timeout),
    killSignal: checkKillSignal(o.killSignal),
    killGraceMs: checkKillGraceMs(o.killGraceMs),
    backend: checkBackend(o.backend),
    isolation: checkIsolation(o.isolation),
    strict: checkStrict(o.strict),
    creds,
    privs: checkPrivs(o),
    cgroup: checkCgroup(o.cgroup),
    ipc,
  };
}
