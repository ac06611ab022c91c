/**
 * capabilities - which backend runs here and what the kernel gives it.
 */
import os from 'node:os';
import { native, shimPath, type BackendReport } from './native';
import type { BackendName } from './options';

/** BackendAvailability says whether a backend can run here, and if not, why. */
export interface BackendAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

/** Capabilities is a frozen report of the backends and the kernel features found. */
export interface Capabilities {
  /** backend is the backend 'auto' picks here, or null when none can run. */
  readonly backend: 'linux' | 'freebsd' | 'fallback' | null;
  /** backends maps every backend name to whether it can run here. */
  readonly backends: Readonly<Record<'linux' | 'freebsd' | 'fallback', BackendAvailability>>;
  /** kernel is os.release(). */
  readonly kernel: string;
  /** clone3 is true when clone3 works (Linux 5.3; refused by some seccomp profiles). */
  readonly clone3: boolean;
  /** clonePidfd is true when legacy clone gives a pidfd (CLONE_PIDFD, Linux 5.2). */
  readonly clonePidfd: boolean;
  /** pidfdOpen is true when pidfd_open works (Linux 5.3). */
  readonly pidfdOpen: boolean;
  /** pidfdSendSignal is true when pidfd_send_signal works (Linux 5.1). */
  readonly pidfdSendSignal: boolean;
  /** waitidPidfd is true when waitid(P_PIDFD) works (Linux 5.4). */
  readonly waitidPidfd: boolean;
  /** pidfdInfoExit is true when a stolen status can be read back (PIDFD_INFO_EXIT, Linux 6.15). */
  readonly pidfdInfoExit: boolean;
  /** closeRange is true when close_range works (Linux 5.9). */
  readonly closeRange: boolean;
  /** clearSighand is true when clone3 takes CLONE_CLEAR_SIGHAND (Linux 5.5). */
  readonly clearSighand: boolean;
  /** preloadPath is the absolute path of the preload shim, or null when it is not built. */
  readonly preloadPath: string | null;
  /** shimActive is true when the preload shim is loaded in this process. */
  readonly shimActive: boolean;
}

const notCompiled = 'not compiled in on this platform';
let cached: Capabilities | null = null;
let reports: BackendReport[] | null = null;

function allReports(): BackendReport[] {
  reports ??= native.capabilities().backends;
  return reports;
}

/** @internal backendReport is the addon's report on one backend, or null if it is not compiled in. */
export function backendReport(key: BackendName): BackendReport | null {
  if (key === 'auto') return allReports().find((r) => r.available) ?? allReports()[0] ?? null;
  return allReports().find((r) => r.key === key) ?? null;
}

/**
 * capabilities reports the backend `auto` picks here, every backend's
 * availability (with the reason when it is not), and each kernel feature the
 * probe found. The probe runs once per process.
 */
export function capabilities(): Capabilities {
  if (cached !== null) return cached;
  const backends: Record<string, BackendAvailability> = {};
  for (const key of ['linux', 'freebsd', 'fallback'] as const) {
    const r = allReports().find((x) => x.key === key);
    backends[key] = Object.freeze(
      r === undefined
        ? { available: false, reason: notCompiled }
        : r.available
          ? { available: true }
          : { available: false, reason: r.reason ?? 'unavailable' },
    );
  }
  const linux = allReports().find((x) => x.key === 'linux')?.features ?? {};
  const feature = (name: string): boolean => linux[name] === true;
  const picked = allReports().find((r) => r.available)?.key ?? null;
  cached = Object.freeze({
    backend: picked as Capabilities['backend'],
    backends: Object.freeze(backends) as Capabilities['backends'],
    kernel: os.release(),
    clone3: feature('clone3'),
    clonePidfd: feature('clonePidfd'),
    pidfdOpen: feature('pidfdOpen'),
    pidfdSendSignal: feature('pidfdSendSignal'),
    waitidPidfd: feature('waitidPidfd'),
    pidfdInfoExit: feature('pidfdInfoExit'),
    closeRange: feature('closeRange'),
    clearSighand: feature('clearSighand'),
    preloadPath: shimPath,
    shimActive: native.shimActive(),
  });
  return cached;
}
