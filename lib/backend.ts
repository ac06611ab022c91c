/**
 * backend - the interface every backend implements: the addon's (see
 * native/common/backend.h and addon.c) and the portable one (portable.ts).
 * The loader (native.ts) picks among them; nothing here runs.
 */
import type { Readable, Writable } from 'node:stream';
import type { ShellForm } from './shell';

/** BackendKey names one backend, the same everywhere: the option, capabilities(), the handle. */
export type BackendKey = 'linux' | 'freebsd' | 'fallback' | 'portable';

/** BackendName is a backend the `backend` option can ask for: one of them, or 'auto'. */
export type BackendName = 'auto' | BackendKey;

/** StatusTuple is a reaped child: pid, si_code, status, hasRusage, user µs, system µs, max RSS KiB. */
export type StatusTuple = [number, number, number, number, number, number, number];

/** NativeHandle is the addon's opaque handle on one child. */
export type NativeHandle = { readonly __brand: 'NativeHandle' };

/**
 * SpawnResult is what the addon's spawn returns when the child started: the
 * handle, the pid, then the parent's end of each stdio slot (-1 when none);
 * the portable backend gives the streams themselves.
 */
export type SpawnResult = [NativeHandle, number, ...Array<number | Readable | Writable | null>];

/** NativeReader is the addon's opaque reader of one output pipe (readStart). */
export type NativeReader = { readonly __brand: 'NativeReader' };

/** SpawnFailure is what the addon's spawn returns when it did not. */
export interface SpawnFailure {
  errno: number;
  step: number;
}

/** BackendReport is one backend as the addon's capabilities() describes it. */
export interface BackendReport {
  key: string;
  available: boolean;
  /** reason says why the backend cannot run here. */
  reason?: string;
  /** hiddenMissing and directMissing say why an isolation cannot be had from it. */
  hiddenMissing?: string;
  directMissing?: string;
  /** features has one flag per probed kernel feature, and `hidden` and `direct`. */
  features: Record<string, boolean>;
  /** childDescriptors is how many descriptors a live child of it holds, stdio pipes apart. */
  childDescriptors?: number;
  /** transient is true when the probe met a passing refusal (EAGAIN, ENOMEM): it runs again. */
  transient?: boolean;
}

/** Native is the addon's interface; see native/common/addon.c. */
export interface Native {
  spawn(
    backend: string,
    block: string,
    counts: [number, number, number],
    cwd: string | null,
    stdio: number[],
    flags: number,
    onExit: (result: StatusTuple | number) => void,
    creds: number[] | null,
    privs: number[] | null,
    cgroup: string | null,
  ): SpawnResult | SpawnFailure;
  tryReap(handle: NativeHandle): StatusTuple | null | number;
  reap(handle: NativeHandle): StatusTuple | null | number;
  /** signal sends signo to the child, or with `group` to its process group (pgid = pid) while it is unreaped. */
  signal(handle: NativeHandle, signo: number, group?: boolean): number;
  ref(handle: NativeHandle, on: boolean): void;
  waitpid(pid: number, nohang: boolean): StatusTuple | null | number;
  rawWaitpid(pid: number, nohang: boolean): [number, number] | null | number;
  /** capabilities probes every backend, or only `only` (other than 'auto'), and reports them. */
  capabilities(only?: string): { backends: BackendReport[]; tableConflict: number };
  backendName(handle: NativeHandle): string;
  adopt(
    backend: string,
    pid: number,
    watch: boolean,
    onExit: (result: StatusTuple | number) => void,
  ): [NativeHandle, number] | number;
  release(handle: NativeHandle): void;
  /**
   * pumpSync polls the child's stdin, stdout and stderr fds (-1: none) for
   * up to timeoutMs (-1: no limit), and its exit with watchChild; it returns
   * [bytes of input written from offset or -errno, what stdout gave, what
   * stderr gave (a Buffer, null or -errno), PUMP_* flags]; see addon_sync.c.
   */
  pumpSync(
    handle: NativeHandle,
    fds: [number, number, number],
    input: Buffer | null,
    offset: number,
    timeoutMs: number,
    watchChild: boolean,
  ): [number, Buffer | null | number, Buffer | null | number, number];
  /**
   * readStart reads a pipe descriptor on the event loop, which it owns from
   * then on: onRead gets each chunk, then null at its end or -errno, and
   * the descriptor is closed; `ended` true says the chunk was the last, and
   * no call follows. It returns -errno, the descriptor left open, when the
   * loop cannot poll it.
   */
  readStart(fd: number, onRead: (chunk: Buffer | null | number, ended: boolean) => void): NativeReader | number;
  /** readControl pauses (0), resumes (1) or closes (2, no callback follows) a reader. */
  readControl(reader: NativeReader, op: number): void;
  shimActive(): boolean;
  /** passwd is [name, home, shell] of a uid's passwd entry, or null when it has none. */
  passwd(uid: number): [string, string, string] | null;
  /** tableCount is the number of unreaped private children (test-only; see lib/testing.ts). */
  tableCount(): number;
  /**
   * shellForm is how this platform's backends run a command line for the
   * `shell` option: `/bin/sh -c` beside the addon, cmd.exe's form on Windows
   * (see portableShellForm). Not the addon's: the loader (native.ts) supplies it.
   */
  shellForm: ShellForm;
}
