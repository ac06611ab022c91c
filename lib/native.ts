/**
 * native - the only place that loads the addon, typed.
 *
 * The addon is found by node-gyp-build: a prebuilt binary shipped in the
 * package's prebuilds/ folder, else the one `npm install` compiled.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** StatusTuple is a reaped child: pid, si_code, status, hasRusage, user µs, system µs, max RSS KiB. */
export type StatusTuple = [number, number, number, number, number, number, number];

/** NativeHandle is the addon's opaque handle on one child. */
export type NativeHandle = { readonly __brand: 'NativeHandle' };

/** SpawnResult is what the addon's spawn returns when the child started: the handle, the pid, then the parent's end of each stdio slot (-1 when none). */
export type SpawnResult = [NativeHandle, number, ...number[]];

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
  ): SpawnResult | SpawnFailure;
  tryReap(handle: NativeHandle): StatusTuple | null | number;
  reap(handle: NativeHandle): StatusTuple | null | number;
  /** signal sends signo to the child, or with `group` to its process group (pgid = pid) while it is unreaped. */
  signal(handle: NativeHandle, signo: number, group?: boolean): number;
  ref(handle: NativeHandle, on: boolean): void;
  waitpid(pid: number, nohang: boolean): StatusTuple | null | number;
  rawWaitpid(pid: number, nohang: boolean): [number, number] | null | number;
  capabilities(): { backends: BackendReport[]; tableConflict: number };
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
  shimActive(): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gypBuild = require('node-gyp-build') as { (dir: string): unknown; path(dir: string): string };
const root = path.join(__dirname, '..', '..');

/** native is the loaded addon. */
export const native = gypBuild(root) as Native;

/**
 * shimBeside names the preload shim that goes with an addon: the one built
 * with it (private_process_shim.so), or, for a prebuilt addon whose name
 * says its C library (private-process.glibc.node), the shim built against the
 * same one (private_process_shim.glibc.so).
 */
export function shimBeside(addonPath: string): string {
  const libc = /\.(glibc|musl)\.node$/.exec(addonPath)?.[1];
  return path.join(path.dirname(addonPath), libc ? `private_process_shim.${libc}.so` : 'private_process_shim.so');
}

/**
 * shimPath is the preload shim, built or shipped beside the addon (a plain
 * shared object: not a .node file, which node-gyp-build could take for the
 * addon), or null where there is none.
 */
export const shimPath: string | null = (() => {
  const candidate = shimBeside(gypBuild.path(root));
  return existsSync(candidate) ? candidate : null;
})();
