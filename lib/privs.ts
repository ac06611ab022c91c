/**
 * privs - the least-privilege options of a privileged helper
 * (ambientCapabilities, capabilityBoundingSet, noNewPrivileges, rlimits,
 * nice, cpuAffinity), checked and packed for the addon.
 */
import { checkBoolean, checkInteger, checkOptions, mapOwn, type Options } from './check';
import { invalidArgType, invalidArgValue } from './errors';

/**
 * CapabilityName is a Linux capability as capabilities(7) and systemd
 * spell it: upper case, with the `CAP_` prefix ('CAP_PERFMON').
 */
export type CapabilityName = `CAP_${Uppercase<string>}`;

/**
 * RlimitValue is one resource limit: a number sets the soft and the hard
 * limit alike, `{ soft, hard }` each (soft <= hard); `Infinity` is unlimited.
 */
export type RlimitValue = number | { soft: number; hard: number };

/** RlimitName is a resource limit, named as systemd's Limit*= settings without the prefix, in lower case. */
export type RlimitName =
  | 'cpu'
  | 'fsize'
  | 'data'
  | 'stack'
  | 'core'
  | 'rss'
  | 'nproc'
  | 'nofile'
  | 'memlock'
  | 'as'
  | 'locks'
  | 'sigpending'
  | 'msgqueue'
  | 'nice'
  | 'rtprio'
  | 'rttime';

/** Rlimits maps resource limits to set in the child to their values. */
export type Rlimits = Partial<Record<RlimitName, RlimitValue>>;

// Linux's capability numbers (include/uapi/linux/capability.h), 0 to 40.
const capabilityNames = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

// The order of pp_rlimit.resource in native/common/backend.h (and privs_resources in native/linux/privs.c).
const rlimitNames: readonly RlimitName[] = [
  'cpu',
  'fsize',
  'data',
  'stack',
  'core',
  'rss',
  'nproc',
  'nofile',
  'memlock',
  'as',
  'locks',
  'sigpending',
  'msgqueue',
  'nice',
  'rtprio',
  'rttime',
];

// pp_privs.flags, as in native/common/backend.h.
const PRIVS_AMBIENT = 0x1;
const PRIVS_BOUNDING = 0x2;
const PRIVS_NO_NEW_PRIVS = 0x4;
const PRIVS_NICE = 0x8;
const PRIVS_CPU_AFFINITY = 0x10;
const UNLIMITED = -1;
const MAX_CPUS = 1024;

/** The capability set as a mask of capability numbers (at most 2^41, exact in a double), or null. */
function checkCapabilities(name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidArgType(name, 'Array', value);
  let mask = 0;
  mapOwn(value, (cap, i) => {
    if (typeof cap !== 'string') throw invalidArgType(`${name}[${i}]`, 'string', cap);
    const bit = capabilityNames.indexOf(cap);
    if (bit < 0) {
      throw invalidArgValue(
        `${name}[${i}]`,
        cap,
        "must be a Linux capability named as in capabilities(7), 'CAP_PERFMON'",
      );
    }
    if (!hasBit(mask, bit)) mask += 2 ** bit;
  });
  return mask;
}

function checkLimit(name: string, value: unknown): number {
  if (value === Infinity) return UNLIMITED;
  return checkInteger(name, value, 0, Number.MAX_SAFE_INTEGER);
}

/** [resource, soft, hard] triples, flattened, in the order given. */
function checkRlimits(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  const limits = checkOptions(value, 'options.rlimits');
  const out: number[] = [];
  for (const key of Object.keys(limits)) {
    const resource = rlimitNames.indexOf(key as RlimitName);
    if (resource < 0) {
      throw invalidArgValue(
        `options.rlimits.${key}`,
        key,
        `must be one of ${rlimitNames.map((n) => `'${n}'`).join(', ')}`,
      );
    }
    const v = limits[key];
    const name = `options.rlimits.${key}`;
    if (v === undefined) continue;
    let soft: number, hard: number;
    if (typeof v === 'object' && v !== null) {
      const pair = checkOptions(v, name);
      soft = checkLimit(`${name}.soft`, pair.soft);
      hard = checkLimit(`${name}.hard`, pair.hard);
      if (hard !== UNLIMITED && (soft === UNLIMITED || soft > hard)) {
        throw invalidArgValue(name, v, 'must have a soft limit no higher than its hard limit');
      }
    } else {
      soft = hard = checkLimit(name, v);
    }
    out.push(resource, soft, hard);
  }
  return out;
}

function checkCpus(value: unknown): number[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidArgType('options.cpuAffinity', 'Array', value);
  if (value.length === 0) throw invalidArgValue('options.cpuAffinity', value, 'must name at least one CPU');
  return mapOwn(value, (cpu, i) => checkInteger(`options.cpuAffinity[${i}]`, cpu, 0, MAX_CPUS - 1));
}

/** hasBit tells whether bit `bit` is in mask (masks reach 2^41: no 32-bit bitwise operators). */
function hasBit(mask: number, bit: number): boolean {
  return Math.floor(mask / 2 ** bit) % 2 === 1;
}

/**
 * checkPrivs validates the least-privilege options and returns
 * [flags, ambient, bounding, nice, nrlimits, (resource, soft, hard)...,
 * cpu...] for the addon (-1: unlimited), or null when none is given.
 */
export function checkPrivs(o: Options): number[] | null {
  const ambient = checkCapabilities('options.ambientCapabilities', o.ambientCapabilities);
  const bounding = checkCapabilities('options.capabilityBoundingSet', o.capabilityBoundingSet);
  const noNewPrivs = checkBoolean('options.noNewPrivileges', o.noNewPrivileges);
  const nice = o.nice === undefined || o.nice === null ? null : checkInteger('options.nice', o.nice, -20, 19);
  const rlimits = checkRlimits(o.rlimits);
  const cpus = checkCpus(o.cpuAffinity);
  if (ambient !== null && bounding !== null) {
    const outside = capabilityNames.filter((_, bit) => hasBit(ambient, bit) && !hasBit(bounding, bit));
    if (outside.length > 0) {
      throw invalidArgValue(
        'options.ambientCapabilities',
        o.ambientCapabilities,
        `must be within options.capabilityBoundingSet, which lacks ${outside.join(', ')}`,
      );
    }
  }
  const flags =
    (ambient !== null ? PRIVS_AMBIENT : 0) |
    (bounding !== null ? PRIVS_BOUNDING : 0) |
    (noNewPrivs ? PRIVS_NO_NEW_PRIVS : 0) |
    (nice !== null ? PRIVS_NICE : 0) |
    (cpus !== null ? PRIVS_CPU_AFFINITY : 0);
  if (flags === 0 && rlimits.length === 0) return null;
  return [flags, ambient ?? 0, bounding ?? 0, nice ?? 0, rlimits.length / 3, ...rlimits, ...(cpus ?? [])];
}

/** privsOptionNames are the options checkPrivs reads, for the error of a backend that cannot set them. */
export const privsOptionNames =
  'ambientCapabilities, capabilityBoundingSet, noNewPrivileges, rlimits, nice, cpuAffinity and cgroup';

/** privsSupport says which backend sets which of them, for that error. */
export const privsSupport =
  'the linux backend sets them all; the freebsd backend noNewPrivileges, nice, cpuAffinity and every rlimit but locks, sigpending, msgqueue, nice, rtprio and rttime; the fallback and portable backends none';
