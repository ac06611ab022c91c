/**
 * capabilities - which backend runs here, which isolation it gives, and
 * what the kernel gives it; and the choice of both for a spawn.
 */
import os from 'node:os';
import { envSetting } from './check';
import { backendUnavailable, notSupported, tableConflict } from './errors';
import { addonError, native, shimPath, type BackendReport } from './native';
import type { BackendKey, BackendName, Isolation } from './options';

/** BackendAvailability says whether a backend (or an isolation) can be had here, and if not, why. */
export interface BackendAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

/** Capabilities is a frozen report of the backends and the kernel features found. */
export interface Capabilities {
  /** backend is the backend 'auto' picks here, or null when none can run. */
  readonly backend: BackendKey | null;
  /** backends maps every backend name to whether it can run here. */
  readonly backends: Readonly<Record<BackendKey, BackendAvailability>>;
  /**
   * isolation is what spawnPrivate gives by default here: 'hidden' wherever
   * a backend can start a child that is not this process's own (Linux,
   * every kernel), else 'direct'; null when no backend can run.
   */
  readonly isolation: Isolation | null;
  /** isolations says whether each isolation can be had here, and if not, why. */
  readonly isolations: Readonly<Record<Isolation, BackendAvailability>>;
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
  /** pidfdSignalGroup is true when pidfd_send_signal reaches a process group (Linux 6.9). */
  readonly pidfdSignalGroup: boolean;
  /** waitidPidfd is true when waitid(P_PIDFD) works (Linux 5.4). */
  readonly waitidPidfd: boolean;
  /** pidfdInfoExit is true when a stolen status can be read back (PIDFD_INFO_EXIT, Linux 6.15). */
  readonly pidfdInfoExit: boolean;
  /** closeRange is true when close_range works (Linux 5.9). */
  readonly closeRange: boolean;
  /** clearSighand is true when clone3 takes CLONE_CLEAR_SIGHAND (Linux 5.5). */
  readonly clearSighand: boolean;
  /**
   * guardInstall is true when the guard pages of spawn stacks are installed
   * inside one mapping (MADV_GUARD_INSTALL, Linux 6.13): a live hidden child
   * then adds no mapping to this process; else it adds two, and
   * vm.max_map_count (65,530 by default) bounds the children alive.
   */
  readonly guardInstall: boolean;
  /**
   * childDescriptors is how many descriptors this process holds for each
   * live child of the backend `auto` picks, its stdio pipes apart: 1 for
   * the Linux backend (a pidfd, or an eventfd before Linux 5.3), FreeBSD's
   * (the process descriptor) and the fallback; 0 for the portable one.
   * The children alive at once are bounded by the descriptor limit
   * (`ulimit -n`, which Node raises to the hard limit at start-up) divided
   * by it: a spawn beyond fails with EMFILE. Null when no backend can run.
   */
  readonly childDescriptors: number | null;
  /** preloadPath is the absolute path of the preload shim, or null when it is not built. */
  readonly preloadPath: string | null;
  /** shimActive is true when the preload shim is loaded in this process. */
  readonly shimActive: boolean;
}

const keys: readonly BackendKey[] = ['linux', 'freebsd', 'fallback', 'portable'];
const notCompiled =
  addonError === null ? 'not compiled in on this platform' : `no native build could be loaded (${addonError})`;
let cached: Capabilities | null = null;
let addonReport: ReturnType<typeof native.capabilities> | null = null;

/** The addon's report, kept once no probe met a passing refusal (a process limit, memory). */
function report(): ReturnType<typeof native.capabilities> {
  if (addonReport !== null) return addonReport;
  // A backend forced through the environment is the only one probed.
  const r = native.capabilities(envSetting('PRIVATE_PROCESS_BACKEND'));
  if (!r.backends.some((b) => b.transient === true)) addonReport = r;
  return r;
}

function allReports(): BackendReport[] {
  return report().backends;
}

/** @internal backendReport is the addon's report on one backend, or null if it is not compiled in. */
export function backendReport(key: BackendName): BackendReport | null {
  if (key === 'auto') return allReports().find((r) => r.available) ?? allReports()[0] ?? null;
  return allReports().find((r) => r.key === key) ?? null;
}

function gives(r: BackendReport, isolation: Isolation): boolean {
  return r.available && r.features[isolation] === true;
}

function missing(r: BackendReport, isolation: Isolation): string {
  if (!r.available) return r.reason ?? 'unavailable';
  return (isolation === 'hidden' ? r.hiddenMissing : r.directMissing) ?? 'unavailable';
}

/** @internal Chosen is the backend and isolation a spawn uses. */
export interface Chosen {
  backend: BackendKey;
  isolation: Isolation;
}

/**
 * @internal chooseBackend resolves the `backend` and `isolation` options
 * to what can run here: 'auto' takes the first backend that gives the
 * isolation asked for, and no isolation asked for takes 'hidden' where the
 * backend gives it. It throws ERR_PRIVATE_BACKEND_UNAVAILABLE or
 * ERR_NOT_SUPPORTED, with the reason, when neither can be had.
 */
export function chooseBackend(backend: BackendName, isolation: Isolation | null): Chosen {
  const conflict = report().tableConflict;
  if (conflict !== 0) throw tableConflict(conflict);
  const candidates = backend === 'auto' ? allReports() : allReports().filter((r) => r.key === backend);
  if (candidates.length === 0) throw backendUnavailable(backend, notCompiled);
  const usable = candidates.filter((r) => r.available);
  if (usable.length === 0) throw backendUnavailable(backend, candidates[0]!.reason ?? 'unavailable');
  if (isolation !== null) {
    const r = usable.find((c) => gives(c, isolation));
    if (r === undefined) {
      throw notSupported(
        `isolation '${isolation}'`,
        `the ${usable[0]!.key} backend: ${missing(usable[0]!, isolation)}`,
      );
    }
    return { backend: r.key as BackendKey, isolation };
  }
  const r = usable[0]!;
  return { backend: r.key as BackendKey, isolation: gives(r, 'hidden') ? 'hidden' : 'direct' };
}

function isolationReport(reports: BackendReport[], isolation: Isolation): BackendAvailability {
  const usable = reports.filter((r) => r.available);
  if (usable.some((r) => gives(r, isolation))) return Object.freeze({ available: true });
  const first = usable[0];
  const reason = first === undefined ? 'no backend can run here' : `${first.key}: ${missing(first, isolation)}`;
  return Object.freeze({ available: false, reason });
}

/**
 * capabilities reports the backend and the isolation `auto` picks here,
 * every backend's and every isolation's availability (with the reason when
 * it is not), and each kernel feature the probe found. The probe runs once
 * per process (again while a process limit or a memory shortage kept it
 * from concluding).
 */
export function capabilities(): Capabilities {
  if (cached !== null) return cached;
  const reports = allReports();
  const backends: Record<string, BackendAvailability> = {};
  for (const key of keys) {
    const r = reports.find((x) => x.key === key);
    backends[key] = Object.freeze(
      r === undefined
        ? { available: false, reason: notCompiled }
        : r.available
          ? { available: true }
          : { available: false, reason: r.reason ?? 'unavailable' },
    );
  }
  const linux = reports.find((x) => x.key === 'linux')?.features ?? {};
  const feature = (name: string): boolean => linux[name] === true;
  const picked = reports.find((r) => r.available) ?? null;
  const caps: Capabilities = Object.freeze({
    backend: (picked?.key ?? null) as BackendKey | null,
    backends: Object.freeze(backends) as Capabilities['backends'],
    isolation: picked === null ? null : gives(picked, 'hidden') ? 'hidden' : 'direct',
    isolations: Object.freeze({
      hidden: isolationReport(reports, 'hidden'),
      direct: isolationReport(reports, 'direct'),
    }),
    kernel: os.release(),
    clone3: feature('clone3'),
    clonePidfd: feature('clonePidfd'),
    pidfdOpen: feature('pidfdOpen'),
    pidfdSendSignal: feature('pidfdSendSignal'),
    pidfdSignalGroup: feature('pidfdSignalGroup'),
    waitidPidfd: feature('waitidPidfd'),
    pidfdInfoExit: feature('pidfdInfoExit'),
    closeRange: feature('closeRange'),
    clearSighand: feature('clearSighand'),
    guardInstall: feature('guardInstall'),
    childDescriptors: picked?.childDescriptors ?? null,
    preloadPath: shimPath,
    shimActive: native.shimActive(),
  });
  // Kept once every probe has concluded; while one met a passing refusal, asked again next time.
  if (addonReport !== null) cached = caps;
  return caps;
}
