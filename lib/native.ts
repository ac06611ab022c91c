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
import type { Native, NativeHandle } from './backend';
import { isPortableHandle, portable, portableReport } from './portable';
import { posixShellForm } from './shell';

// The backends' interface, for the modules that use the addon through this one.
export type {
  BackendReport,
  Native,
  NativeHandle,
  NativeReader,
  SpawnFailure,
  SpawnResult,
  StatusTuple,
} from './backend';

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
