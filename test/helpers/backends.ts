/**
 * The modes the conformance suite runs against: every backend available on
 * this machine, in every isolation it gives (linux-hidden, linux-direct,
 * fallback). A backend that cannot run here is reported, not silently
 * dropped, through capabilities().
 *
 * The vitest project `freebsd-emulated` loads the addon built with the
 * FreeBSD backend's real sources over a Linux emulation of process
 * descriptors (test/emulation/freebsd/), and sets
 * PRIVATE_PROCESS_TEST_BACKENDS to the backends to run there (the FreeBSD
 * backend, and the fallback as built there and on macOS: exits watched by
 * a kqueue): what only a FreeBSD kernel makes true is marked with
 * `emulated()`. The project `portable` loads no addon at all, as on a
 * platform without a native build, and runs the suite against the portable
 * backend (the one Windows gets), here on Linux; `unlessPortable()` marks
 * what child_process cannot give on this kernel.
 */
import { capabilities } from '../../esm/index.mjs';
import { native } from '../../dist/cjs/native.js';

/** Key is a backend's name. */
export type Key = 'linux' | 'freebsd' | 'fallback' | 'portable';

const only = process.env.PRIVATE_PROCESS_TEST_BACKENDS?.split(',');

/** The portable backend runs in its own vitest project only, where no addon is loaded. */
function wanted(key: string): boolean {
  return only === undefined ? key !== 'portable' : only.includes(key);
}
type Isolation = 'hidden' | 'direct';

/** Mode is one way to spawn: a backend and an isolation, named for test titles. */
export interface Mode {
  /** name is 'linux-hidden', 'linux-direct', 'fallback' (the fallback is direct only). */
  name: string;
  backend: Key;
  isolation: Isolation;
}

/** modesHere lists every backend and isolation that can run on this machine, best first. */
export function modesHere(): Mode[] {
  const modes: Mode[] = [];
  for (const r of native.capabilities().backends) {
    if (!r.available || !wanted(r.key)) continue;
    const backend = r.key as Key;
    const both = r.features.hidden === true && r.features.direct === true;
    for (const isolation of ['hidden', 'direct'] as const) {
      if (r.features[isolation] !== true) continue;
      modes.push({ name: both ? `${backend}-${isolation}` : backend, backend, isolation });
    }
  }
  return modes;
}

/** backendsHere lists the backends that can run on this machine, best first. */
export function backendsHere(): Key[] {
  const caps = capabilities();
  return (['linux', 'freebsd', 'fallback', 'portable'] as const).filter((k) => caps.backends[k].available && wanted(k));
}

/** pidfdModesHere lists the modes whose children are this process's own and have a pidfd. */
export function pidfdModesHere(): Mode[] {
  return modesHere().filter((m) => m.backend === 'linux' && m.isolation === 'direct');
}

/**
 * emulated is true for a backend whose kernel is emulated here (FreeBSD on
 * Linux): what only its real kernel makes true cannot be tested.
 */
export function emulated(key: string): boolean {
  return key === 'freebsd' && process.platform !== 'freebsd';
}

/** kernelAtLeast tells whether this Linux kernel is at least major.minor. */
export function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = capabilities()
    .kernel.split('.')
    .map((n) => parseInt(n, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * kqueueExitWatch is true where the fallback learns of exits through a
 * kqueue per child (macOS, FreeBSD, and the build emulating FreeBSD here)
 * rather than SIGCHLD.
 */
export function kqueueExitWatch(): boolean {
  return process.platform !== 'linux' || capabilities().backends.freebsd.available;
}

/**
 * kqueueKeepsStolen is true where the fallback's kqueue exit watch keeps the
 * status of a child that a foreign waitpid took: on macOS and FreeBSD, and in
 * the emulation here only where the kernel keeps it too (PIDFD_INFO_EXIT,
 * Linux 6.15), since the emulated kqueue reads it from there.
 */
export function kqueueKeepsStolen(): boolean {
  return kqueueExitWatch() && (process.platform !== 'linux' || kernelAtLeast(6, 15));
}

/**
 * unlessBackend is the title suffix that skips a test needing the `key`
 * backend where it is not available here, saying so; '' where it is.
 */
export function unlessBackend(key: Key): string {
  return backendsHere().includes(key) ? '' : ` (skipped: no ${key} backend on this platform)`;
}

/**
 * unlessPortable is the title suffix that skips a test for the portable
 * backend (child_process) on this kernel, saying why; '' for any other.
 */
export function unlessPortable(backend: string, why: string): string {
  return backend === 'portable' ? ` (skipped: the portable backend is child_process here: ${why})` : '';
}
