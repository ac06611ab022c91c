/**
 * native - the only place that loads the addon, typed.
 *
 * The addon is found by node-gyp-build: a prebuilt binary shipped in the
 * package's prebuilds/ folder, else the one `npm install` compiled. Where
 * there is neither (a platform without a native backend, or a build that
 * failed), the portable backend (portable.ts) stands in, and
 * capabilities() says why.
 *
 * Test-only: PRIVATE_PROCESS_TEST_ADDON, when set, is the absolute path of
 * another build of the addon to load instead (the sanitizer build of
 * `npm run test:sanitize`). It is not a supported way to load the package.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isPortableHandle, portable, portableReport } from './portable';
import { posixShellForm, type ShellForm } from './shell';

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
   * the descriptor is closed. It returns -errno, the descriptor left open,
   * when the loop cannot poll it.
   */
  readStart(fd: number, onRead: (chunk: Buffer | null | number) => void): NativeReader | number;
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
   * (see portableShellForm). Not the addon's: this module supplies it.
   */
  shellForm: ShellForm;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gypBuild = require('node-gyp-build') as { (dir: string): unknown; path(dir: string): string };
const root = path.join(__dirname, '..', '..');

/** The addon, or why it could not be loaded (no native build for this platform, or a failed one). */
function loadAddon(): { addon: Native | null; path: string | null; error: string | null } {
  const testAddon = process.env.PRIVATE_PROCESS_TEST_ADDON;
  try {
    if (testAddon) {
      const file = path.resolve(testAddon);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { addon: require(file) as Native, path: file, error: null };
    }
    return { addon: gypBuild(root) as Native, path: gypBuild.path(root), error: null };
  } catch (e) {
    return { addon: null, path: null, error: (e as Error).message.split('\n')[0] ?? 'no native build' };
  }
}

const loaded = loadAddon();

/** addonError says why no addon was loaded, or null when one was. */
export const addonError: string | null = loaded.error;

/**
 * withPortable puts the portable backend beside the addon's, last: spawns
 * that ask for it, and calls on its handles, go to it; everything else
 * (whatever the addon exports) to the addon.
 */
function withPortable(addon: Native): Native {
  const pick = (handle: NativeHandle): Native => (isPortableHandle(handle) ? portable : addon);
  return {
    ...addon,
    spawn: (backend, ...rest) => (backend === 'portable' ? portable : addon).spawn(backend, ...rest),
    tryReap: (h) => pick(h).tryReap(h),
    reap: (h) => pick(h).reap(h),
    // The addon reads a third argument only when one is passed.
    signal: (h, signo, group) => (group === undefined ? pick(h).signal(h, signo) : pick(h).signal(h, signo, group)),
    ref: (h, on) => pick(h).ref(h, on),
    capabilities: (only) => {
      const r = addon.capabilities(only);
      return { ...r, backends: [...r.backends, portableReport()] };
    },
    backendName: (h) => pick(h).backendName(h),
    adopt: (backend, ...rest) => (backend === 'portable' ? portable : addon).adopt(backend, ...rest),
    release: (h) => pick(h).release(h),
    pumpSync: (h, ...rest) => pick(h).pumpSync(h, ...rest),
    // Every platform with an addon is POSIX, and the portable backend's form there is the same.
    shellForm: posixShellForm,
  };
}

/**
 * native is the addon with the portable backend after its own; where no
 * addon could be loaded, the portable backend alone.
 */
export const native: Native = loaded.addon === null ? portable : withPortable(loaded.addon);

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
  if (loaded.path === null) return null;
  const candidate = shimBeside(loaded.path);
  // On macOS the shim is a dylib.
  return [candidate, candidate.replace(/\.so$/, '.dylib')].find((file) => existsSync(file)) ?? null;
})();
