import { execFile, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { runPrivate, runPrivateSync, spawnPrivate } from '../../esm/index.mjs';
import { backendsHere, modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { copyForOtherUser, whyNoOtherUser, type OtherUserCopy } from '../helpers/other-user.js';
import { kernelProfiles, runProgramUnderSeccomp, runUnderSeccomp } from '../helpers/seccomp.js';
import { readAll } from '../helpers/stream.js';
import { scaled } from '../helpers/time.mjs';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? '' : ' (skipped: capabilities, limits and setuid programs need root)';
const noOtherUser = isRoot ? whyNoOtherUser() : '';
const fixture = path.join(__dirname, '..', 'fixtures', 'identity.cjs');
// CAP_PERFMON is capability 38, CAP_NET_RAW 13: the masks /proc/PID/status shows.
const PERFMON = '0000004000000000';
const PERFMON_NET_RAW = '0000004000002000';
const dir = mkdtempSync(path.join(tmpdir(), 'pp-privileged-'));
chmodSync(dir, 0o777); // the children below may run as nobody or uid 1000
let copy: OtherUserCopy | undefined;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  copy?.remove();
});

/** What a private child printed on stdout; it must exit 0. */
async function output(file: string, args: string[], options: object): Promise<string> {
  const h = spawnPrivate(file, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
  expect(status.exitCode).toBe(0);
  return out;
}

/** The fields of a child's /proc/self/status that say what it may do. */
async function statusOf(options: object): Promise<Record<string, string>> {
  const out = await output('/bin/grep', ['-E', '^(Cap|NoNewPrivs|Cpus_allowed_list)', '/proc/self/status'], options);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(/:\s+/) as [string, string]),
  );
}

/** The identity fixture's JSON line, run under the seccomp rules (none: as it is). */
async function underRules(rules: string[], options: object, script: string, marker: string): Promise<any> {
  const r = await runUnderSeccomp(rules, fixture, [JSON.stringify(options), marker, script], {
    timeout: scaled(60_000),
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

/**
 * Runs the identity fixture through setpriv with its arguments (another user, a smaller bounding
 * set); with countTasks, in a pid namespace of its own, where a spawn error also says how many
 * tasks were started meanwhile.
 */
function underSetpriv(
  setpriv: string[],
  options: object,
  marker: string,
  script: string,
  countTasks = false,
  rules: readonly string[] = [],
): Promise<any> {
  const c = (copy ??= copyForOtherUser(['identity.cjs']));
  const fixtureArgs = [process.execPath, c.fixture('identity.cjs'), JSON.stringify(options), marker, script];
  const [file, args] = countTasks
    ? ['unshare', ['--pid', '--fork', 'setpriv', ...setpriv, ...fixtureArgs]]
    : ['setpriv', [...setpriv, ...fixtureArgs]];
  const env = countTasks ? { ...c.env, PP_COUNT_TASKS: '1' } : c.env;
  if (rules.length > 0) {
    return runProgramUnderSeccomp(rules, file, args, { env, timeout: scaled(60_000) }).then((r) => {
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    });
  }
  return new Promise((resolve, reject) =>
    execFile(file, args, { env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

/**
 * Why the perf event test cannot run here, or '': kernel.perf_event_paranoid must be 1 or 2 (a
 * system-wide event needs CAP_PERFMON); Debian's level 3 asks for CAP_SYS_ADMIN instead.
 */
function whyNoPerf(): string {
  const file = '/proc/sys/kernel/perf_event_paranoid';
  const level = existsSync(file) ? Number(readFileSync(file, 'utf8')) : NaN;
  if (level === 1 || level === 2) return '';
  return ` (skipped: perf_event_paranoid is ${Number.isNaN(level) ? 'missing' : level}, not 1 or 2)`;
}
const paranoidWhy = whyNoPerf();

/**
 * Why the tasks a refused spawn started cannot be counted here, or '': the count needs a pid
 * namespace of its own (unshare) and that namespace's last pid (ns_last_pid, which a kernel built
 * without CONFIG_CHECKPOINT_RESTORE lacks).
 */
function whyNoTaskCount(): string {
  if (!existsSync('/proc/sys/kernel/ns_last_pid')) return ' (skipped: no /proc/sys/kernel/ns_last_pid to count tasks)';
  if (spawnSync('unshare', ['--version']).error) return ' (skipped: no unshare for a pid namespace to count tasks in)';
  return '';
}
const noTaskCount = isRoot ? whyNoTaskCount() : '';

const linuxModes = modesHere().filter((m) => m.backend === 'linux');

describe.each(linuxModes)('a privileged helper ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it.skipIf(!isRoot)(
    `dropped to nobody, holds exactly its ambientCapabilities: permitted, effective, inheritable, ambient${needsRoot}`,
    async () => {
      const s = await statusOf({ backend, isolation, uid: NOBODY, gid: NOBODY, ambientCapabilities: ['CAP_PERFMON'] });
      expect([s.CapInh, s.CapPrm, s.CapEff, s.CapAmb]).toEqual([PERFMON, PERFMON, PERFMON, PERFMON]);
    },
  );

  it.skipIf(!isRoot || paranoidWhy !== '')(
    `opens a system-wide perf event with CAP_PERFMON as nobody, and gets EACCES without it${needsRoot}${paranoidWhy}`,
    async () => {
      // perf_event_paranoid above 0 (2 here, the default) keeps system-wide events from the unprivileged.
      const perfOpen = path.join(dir, 'perf-open');
      copyFileSync(inject('helpers').perfOpen, perfOpen);
      chmodSync(perfOpen, 0o755);
      const as = { backend, isolation, uid: NOBODY, gid: NOBODY };
      expect(await output(perfOpen, [], { ...as, ambientCapabilities: ['CAP_PERFMON'] })).toBe('opened\n');
      expect(await output(perfOpen, [], as)).toBe('EACCES\n');
    },
  );

  it.skipIf(!isRoot)(`keeps only the capabilityBoundingSet, root or not${needsRoot}`, async () => {
    const bounding = ['CAP_PERFMON', 'CAP_NET_RAW'] as const;
    const root = await statusOf({ backend, isolation, capabilityBoundingSet: bounding });
    // A root program gets its whole bounding set at exec, and no more.
    expect([root.CapBnd, root.CapPrm, root.CapEff]).toEqual([PERFMON_NET_RAW, PERFMON_NET_RAW, PERFMON_NET_RAW]);
    const helper = await statusOf({
      backend,
      isolation,
      uid: NOBODY,
      gid: NOBODY,
      capabilityBoundingSet: bounding,
      ambientCapabilities: ['CAP_PERFMON'],
    });
    expect([helper.CapBnd, helper.CapPrm, helper.CapAmb]).toEqual([PERFMON_NET_RAW, PERFMON, PERFMON]);
  });

  it.skipIf(!isRoot)(`sets its rlimits, nice and cpuAffinity before exec${needsRoot}`, async () => {
    const out = await output(
      '/bin/sh',
      [
        '-c',
        'grep -E "^Max (open files|core file size|address space|processes)" /proc/self/limits; cut -d" " -f19 /proc/self/stat',
      ],
      {
        backend,
        isolation,
        uid: NOBODY,
        gid: NOBODY,
        rlimits: { nofile: { soft: 77, hard: 88 }, core: 0, as: Infinity, nproc: 4096 },
        nice: 7,
      },
    );
    const lines = out.trim().split('\n');
    expect(lines.slice(0, -1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['Max core file size', '0', '0'],
      ['Max processes', '4096', '4096'],
      ['Max open files', '77', '88'],
      ['Max address space', 'unlimited', 'unlimited'],
    ]);
    expect(lines.at(-1)).toBe('7');
    const mine = (await statusOf({ backend, isolation })).Cpus_allowed_list!;
    const last = Number(mine.split(/[,-]/).at(-1));
    expect((await statusOf({ backend, isolation, cpuAffinity: [last] })).Cpus_allowed_list).toBe(String(last));
  });

  it.skipIf(!isRoot)(`leaves this process's own capabilities and no_new_privs as they were${needsRoot}`, async () => {
    const own = () => readFileSync('/proc/self/status', 'utf8').match(/^(Cap\w+|NoNewPrivs):.*$/gm);
    const before = own();
    await statusOf({
      backend,
      isolation,
      uid: NOBODY,
      gid: NOBODY,
      ambientCapabilities: ['CAP_PERFMON'],
      capabilityBoundingSet: ['CAP_PERFMON'],
      noNewPrivileges: true,
    });
    expect(own()).toEqual(before);
  });

  it.skipIf(!isRoot)(`takes the same options in runPrivate and runPrivateSync${needsRoot}`, async () => {
    const options = { backend, isolation, uid: NOBODY, gid: NOBODY, ambientCapabilities: ['CAP_PERFMON'] } as const;
    const args = ['^CapAmb', '/proc/self/status'];
    expect((await runPrivate('/bin/grep', args, options)).stdout).toBe(`CapAmb:\t${PERFMON}`);
    expect(runPrivateSync('/bin/grep', args, options).stdout).toBe(`CapAmb:\t${PERFMON}`);
  });

  // The sanitizer runtime preloaded into the filtered node calls getrlimit (prlimit64) at start-up
  // and gives up when it is refused, so the rlimits case cannot run under it.
  const noPrlimit = process.env.PP_SANITIZE_RUNTIME
    ? ' (skipped: the sanitizer runtime cannot start without prlimit64)'
    : '';
  it.for([
    ['capabilities', 'capset=EPERM', { ambientCapabilities: ['CAP_PERFMON'] }, ''],
    ['rlimits', 'prlimit64=EPERM', { rlimits: { core: 0 } }, noPrlimit],
    ['nice', 'setpriority=EPERM', { nice: 5 }, ''],
    ['no_new_privs', 'prctl=EINVAL', { noNewPrivileges: true }, ''],
  ] as const)(
    "fails closed at step '%s' and never runs the program half-configured%s",
    async ([step, rule, privs, skip], ctx) => {
      if (skip !== '') ctx.skip();
      const marker = path.join(dir, `ran-${step}-${isolation}`);
      const options = { backend, isolation, ...privs };
      expect(await underRules([rule], options, 'true', marker)).toEqual({ error: rule.split('=')[1], step });
      expect(existsSync(marker)).toBe(false);
    },
  );

  it.skipIf(!isRoot)(
    `refuses, before anything starts, an ambient capability this process does not hold${needsRoot}`,
    async () => {
      const marker = path.join(dir, `lacks-${isolation}`);
      const options = { backend, isolation, ambientCapabilities: ['CAP_PERFMON'] };
      const r = await underSetpriv(['--bounding-set=-perfmon', '--inh-caps=-all'], options, marker, 'true');
      expect(r).toEqual({ error: 'EPERM', step: 'capabilities' });
      expect(existsSync(marker)).toBe(false);
    },
  );

  it.skipIf(!isRoot || noOtherUser !== '')(
    `hands its own CAP_PERFMON on as a non-root parent, and drops the rest${needsRoot}${noOtherUser}`,
    async () => {
      // A tool running as uid 1000 that holds CAP_PERFMON and CAP_NET_RAW (ambient, as systemd gives them).
      const tool = ['--reuid=1000', '--regid=1000', '--clear-groups', '--inh-caps=+perfmon,+net_raw'];
      const marker = path.join(dir, `nonroot-${isolation}`);
      const options = { backend, isolation, ambientCapabilities: ['CAP_PERFMON'] };
      const script = 'grep -E "^Cap(Prm|Eff|Amb)" /proc/self/status';
      const r = await underSetpriv([...tool, '--ambient-caps=+perfmon,+net_raw'], options, marker, script);
      expect(r).toEqual({ out: `CapPrm:\t${PERFMON}\nCapEff:\t${PERFMON}\nCapAmb:\t${PERFMON}\n`, code: 0 });
    },
  );

  it.skipIf(!isRoot || noOtherUser !== '' || noTaskCount !== '')(
    `refuses, before anything starts, a hard limit above its own to an unprivileged parent: step 'rlimits'${needsRoot}${noOtherUser}${noTaskCount}`,
    async () => {
      const marker = path.join(dir, `rlimit-${isolation}`);
      // Above this process's hard limit, which uid 1000 inherits; the kernel's nr_open still allows it.
      const limits = await output('/bin/grep', ['^Max open files', '/proc/self/limits'], { backend, isolation });
      expect(Number(limits.split(/\s{2,}/)[2])).toBeLessThan(2 ** 20);
      const options = { backend, isolation, rlimits: { nofile: 2 ** 20 } };
      const asUser = ['--reuid=1000', '--regid=1000', '--clear-groups'];
      const r = await underSetpriv(asUser, options, marker, 'true', true);
      expect(r).toEqual({ error: 'EPERM', step: 'rlimits', tasks: 0 });
      expect(existsSync(marker)).toBe(false);
    },
  );

  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    const noDirect =
      isolation === 'direct' && rules.includes('pidfd_open=ENOSYS') ? ' (skipped: direct isolation needs pidfds)' : '';
    it.skipIf(!isRoot || noDirect !== '' || noOtherUser !== '' || noTaskCount !== '')(
      `refuses a hard limit above its own to an unprivileged parent before anything starts${needsRoot}${noDirect}${noOtherUser}${noTaskCount}`,
      async () => {
        const marker = path.join(dir, `rlimit-${isolation}-${rules.length}`);
        const options = { backend, isolation, rlimits: { nofile: 2 ** 20 } };
        const asUser = ['--reuid=1000', '--regid=1000', '--clear-groups'];
        const r = await underSetpriv(asUser, options, marker, 'true', true, rules);
        expect(r).toEqual({ error: 'EPERM', step: 'rlimits', tasks: 0 });
        expect(existsSync(marker)).toBe(false);
      },
    );
    it.skipIf(!isRoot || noDirect !== '')(
      `keeps the ambient capabilities across the uid change${needsRoot}${noDirect}`,
      async () => {
        const options = { backend, isolation, uid: NOBODY, gid: NOBODY, ambientCapabilities: ['CAP_PERFMON'] };
        const marker = path.join(dir, `kept-${isolation}`);
        const r = await underRules(rules as string[], options, 'grep -E "^Cap(Prm|Amb)" /proc/self/status', marker);
        expect(r).toEqual({ out: `CapPrm:\t${PERFMON}\nCapAmb:\t${PERFMON}\n`, code: 0 });
      },
    );
  });
});

// no_new_privs: Linux's PR_SET_NO_NEW_PRIVS, FreeBSD's PROC_NO_NEW_PRIVS_CTL (14.0).
describe.each(modesHere().filter((m) => m.backend === 'linux' || m.backend === 'freebsd'))(
  'a helper under noNewPrivileges ($name)',
  ({ backend, isolation }) => {
    checkNoLeaks();

    it.skipIf(!isRoot)(
      `runs a setuid-root program without gaining root under noNewPrivileges${needsRoot}`,
      async () => {
        const setuidId = path.join(dir, `id-${isolation}`);
        copyFileSync('/usr/bin/id', setuidId);
        chmodSync(setuidId, 0o4755);
        const as = { backend, isolation, uid: NOBODY, gid: NOBODY };
        // Without it the program runs with euid 0: the test's setuid binary works here.
        expect(await output(setuidId, ['-u'], as)).toBe('0\n');
        expect(await output(setuidId, ['-u'], { ...as, noNewPrivileges: true })).toBe(`${NOBODY}\n`);
      },
    );
  },
);

/** The passwd entry of uid, as [name, home, shell], from /etc/passwd. */
function passwdOf(uid: number): [string, string, string] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[2] === String(uid))!;
  return [line[0]!, line[5]!, line[6]!];
}

describe.each(linuxModes)('the environment of a new user ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  const script = 'echo "$HOME|$USER|$LOGNAME|$SHELL|${HOME+home set}|$PATH"';

  it.skipIf(!isRoot)(`has HOME, USER, LOGNAME and SHELL of the uid's passwd entry${needsRoot}`, async () => {
    const [name, home, shell] = passwdOf(NOBODY);
    const out = await output('/bin/sh', ['-c', script], { backend, isolation, uid: NOBODY, gid: NOBODY });
    expect(out).toBe(`${home}|${name}|${name}|${shell}|home set|${process.env.PATH}\n`);
  });

  it.skipIf(!isRoot)(`keeps what the caller's env sets, and fills in the rest${needsRoot}`, async () => {
    const [name, , shell] = passwdOf(NOBODY);
    const env = { HOME: '/srv/helper', PATH: '/usr/bin:/bin' };
    const out = await output('/bin/sh', ['-c', script], { backend, isolation, uid: NOBODY, gid: NOBODY, env });
    expect(out).toBe(`/srv/helper|${name}|${name}|${shell}|home set|/usr/bin:/bin\n`);
  });

  it.skipIf(!isRoot)(
    `leaves out this user's HOME, USER, LOGNAME and SHELL for a uid without an entry${needsRoot}`,
    async () => {
      const out = await output('/bin/sh', ['-c', script], { backend, isolation, uid: 4242, gid: 4242 });
      expect(out).toBe(`||||${''}|${process.env.PATH}\n`);
    },
  );

  it("leaves the environment alone when uid is this process's own", async () => {
    const env = { HOME: '/h', USER: 'u', LOGNAME: 'l', SHELL: '/s', PATH: '/bin' };
    const out = await output('/bin/sh', ['-c', script], { backend, isolation, uid: process.getuid!(), env });
    expect(out).toBe('/h|u|l|/s|home set|/bin\n');
  });
});

/** Where a cgroup v2 hierarchy is mounted ('/sys/fs/cgroup' or a hybrid's '/sys/fs/cgroup/unified'), or null. */
function cgroup2Root(): string | null {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  return mounts.map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')?.[1] ?? null;
}

const cgroupRoot = cgroup2Root();
const noCgroup2 = cgroupRoot === null ? ' (skipped: no cgroup v2 hierarchy is mounted)' : '';
const canCgroup = isRoot && noCgroup2 === '';
const noMemory =
  cgroupRoot !== null &&
  readFileSync(path.join(cgroupRoot, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')
    ? ''
    : ' (skipped: the cgroup v2 hierarchy here has no memory controller: the Linux 6.1 guest run has one)';

/** A new cgroup under the v2 root, removed (once empty) after the test. */
function makeCgroup(name: string): string {
  const dir = path.join(cgroupRoot!, `pp-test-${process.pid}-${name}`);
  mkdirSync(dir);
  onTestFinished(() => rmdirSync(dir));
  return dir;
}

/** The line of a /proc/PID/cgroup text for the v2 hierarchy. */
function v2Line(text: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith('0::'));
}

describe.each(linuxModes)('a helper in its own cgroup ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it.skipIf(!canCgroup)(`runs inside the cgroup v2 directory it is given${needsRoot}${noCgroup2}`, async () => {
    const cgroup = makeCgroup(`in-${isolation}`);
    const out = await output('/bin/cat', ['/proc/self/cgroup'], { backend, isolation, cgroup });
    expect(v2Line(out)).toBe(`0::/${path.relative(cgroupRoot!, cgroup)}`);
  });

  it.skipIf(!canCgroup)(`is in it when it stops itself at once${needsRoot}${noCgroup2}`, async () => {
    const cgroup = makeCgroup(`stopped-${isolation}`);
    const h = spawnPrivate('/bin/sh', ['-c', 'kill -STOP $$'], { backend, isolation, cgroup, stdio: 'ignore' });
    try {
      const deadline = Date.now() + scaled(10_000);
      while (readFileSync(`/proc/${h.pid}/stat`, 'utf8').split(') ')[1]![0] !== 'T') {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(v2Line(readFileSync(`/proc/${h.pid}/cgroup`, 'utf8'))).toBe(`0::/${path.relative(cgroupRoot!, cgroup)}`);
      expect(readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8')).toBe(`${h.pid}\n`);
    } finally {
      h.kill('SIGKILL');
      await h.wait();
    }
  });

  it.each([
    ['a missing directory', 'ENOENT', () => path.join(cgroupRoot ?? '/sys/fs/cgroup', 'pp-no-such-cgroup')],
    ['a directory that is not a cgroup v2 one', 'EINVAL', () => dir],
  ])(`refuses %s with %s at step 'cgroup' and starts nothing${noCgroup2}`, async (_what, code, cgroup) => {
    const marker = path.join(dir, `cgroup-${code}-${isolation}`);
    const r = await underRules([], { backend, isolation, cgroup: cgroup() }, 'true', marker);
    expect(r).toEqual({ error: code, step: 'cgroup' });
    expect(existsSync(marker)).toBe(false);
  });

  it.skipIf(!canCgroup || noOtherUser !== '')(
    `refuses a cgroup this user may not write to: EACCES at step 'cgroup'${needsRoot}${noCgroup2}${noOtherUser}`,
    async () => {
      const cgroup = makeCgroup(`denied-${isolation}`);
      const marker = path.join(dir, `cgroup-denied-${isolation}`);
      const asUser = ['--reuid=1000', '--regid=1000', '--clear-groups'];
      const r = await underSetpriv(asUser, { backend, isolation, cgroup }, marker, 'true');
      expect(r).toEqual({ error: 'EACCES', step: 'cgroup' });
      expect(existsSync(marker)).toBe(false);
    },
  );

  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    const noDirect =
      isolation === 'direct' && rules.includes('pidfd_open=ENOSYS') ? ' (skipped: direct isolation needs pidfds)' : '';
    it.skipIf(!canCgroup || noDirect !== '')(
      `starts the child in its cgroup${needsRoot}${noCgroup2}${noDirect}`,
      async () => {
        const cgroup = makeCgroup(`kernel-${isolation}-${rules.length}`);
        const marker = path.join(dir, `cgroup-kernel-${isolation}-${rules.length}`);
        const r = await underRules(
          rules as string[],
          { backend, isolation, cgroup },
          'grep ^0:: /proc/self/cgroup',
          marker,
        );
        expect(r).toEqual({ out: `0::/${path.relative(cgroupRoot!, cgroup)}\n`, code: 0 });
      },
    );
  });

  it.skipIf(!canCgroup || noMemory !== '')(
    `is held to the cgroup's memory.max: the kernel kills it there${needsRoot}${noCgroup2}${noMemory}`,
    async () => {
      const cgroup = makeCgroup(`memory-${isolation}`);
      writeFileSync(path.join(cgroupRoot!, 'cgroup.subtree_control'), '+memory');
      writeFileSync(path.join(cgroup, 'memory.max'), String(64 * 2 ** 20));
      if (existsSync(path.join(cgroup, 'memory.swap.max'))) writeFileSync(path.join(cgroup, 'memory.swap.max'), '0');
      const grow = 'const a = []; for (;;) a.push(Buffer.alloc(2 ** 20, 1));';
      const h = spawnPrivate(process.execPath, ['-e', grow], { backend, isolation, cgroup, stdio: 'ignore' });
      const status = await h.wait();
      expect(status.signal).toBe('SIGKILL');
      expect(readFileSync(path.join(cgroup, 'memory.events'), 'utf8')).toMatch(/^oom_kill [1-9]/m);
    },
  );
});

// What Linux alone has: capabilities, cgroups, and its own resource limits.
const linuxOnly = [
  { ambientCapabilities: ['CAP_PERFMON'] },
  { capabilityBoundingSet: [] },
  { cgroup: '/sys/fs/cgroup' },
  { rlimits: { sigpending: 64 } },
];
const limits = [{ rlimits: { nofile: 64 } }, { nice: 1 }, { cpuAffinity: [0] }, { noNewPrivileges: true }];

// posix_spawn (the fallback) and child_process (the portable backend) run nothing between fork and exec.
describe.each([
  ['fallback', [...linuxOnly, ...limits]],
  ['portable', [...linuxOnly, ...limits]],
  ['freebsd', linuxOnly],
] as const)('the %s backend', (backend, refused) => {
  const why = backendsHere().includes(backend) ? '' : ` (skipped: no ${backend} backend in this run)`;
  it.skipIf(why !== '')(`refuses what it cannot set with ERR_NOT_SUPPORTED, before anything starts${why}`, () => {
    for (const options of refused) {
      expect(() => spawnPrivate('/bin/true', [], { backend, ...options } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }),
      );
    }
  });
});

describe.each(modesHere().filter((m) => m.backend === 'freebsd'))(
  'a FreeBSD helper ($name)',
  ({ backend, isolation }) => {
    checkNoLeaks();

    it.skipIf(!isRoot || noOtherUser !== '' || noTaskCount !== '')(
      `refuses, before anything starts, a hard limit above its own to a parent that is not root: step 'rlimits'${needsRoot}${noOtherUser}${noTaskCount}`,
      async () => {
        const marker = path.join(dir, `rlimit-freebsd-${isolation}`);
        const options = { backend, isolation, rlimits: { nofile: 2 ** 20 } };
        const asUser = ['--reuid=1000', '--regid=1000', '--clear-groups'];
        const r = await underSetpriv(asUser, options, marker, 'true', true);
        expect(r).toEqual({ error: 'EPERM', step: 'rlimits', tasks: 0 });
        expect(existsSync(marker)).toBe(false);
      },
    );

    it('sets its rlimits and nice before exec', async () => {
      const script = 'ulimit -Sn; ulimit -Hn; ulimit -Hc; ps -o nice= -p $$';
      const options = { backend, isolation, rlimits: { nofile: { soft: 77, hard: 88 }, core: 0 }, nice: 7 };
      expect((await output('/bin/sh', ['-c', script], options)).split(/\s+/).filter(Boolean)).toEqual([
        '77',
        '88',
        '0',
        '7',
      ]);
    });

    const noProc = existsSync('/proc/self/status') ? '' : ' (skipped: no /proc to read the CPU mask from)';
    it.skipIf(noProc !== '')(`sets its cpuAffinity before exec${noProc}`, async () => {
      const mine = (await statusOf({ backend, isolation })).Cpus_allowed_list!;
      const last = Number(mine.split(/[,-]/).at(-1));
      expect((await statusOf({ backend, isolation, cpuAffinity: [last] })).Cpus_allowed_list).toBe(String(last));
    });

    it.each([
      ['rlimits', 'prlimit64=EPERM', { rlimits: { core: 0 } }],
      ['nice', 'setpriority=EPERM', { nice: 5 }],
    ])("fails closed at step '%s' and never runs the program half-configured", async (step, rule, privs) => {
      const marker = path.join(dir, `ran-freebsd-${step}`);
      const options = { backend, isolation, ...privs };
      expect(await underRules([rule], options, 'true', marker)).toEqual({ error: 'EPERM', step });
      expect(existsSync(marker)).toBe(false);
    });
  },
);

describe('least-privilege options are checked before anything is spawned', () => {
  it.each([
    [{ ambientCapabilities: ['CAP_NOPE'] }, 'ERR_INVALID_ARG_VALUE'],
    // One spelling: capabilities(7)'s, upper case with the prefix.
    [{ ambientCapabilities: ['cap_perfmon'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ ambientCapabilities: ['PERFMON'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ ambientCapabilities: 'CAP_PERFMON' }, 'ERR_INVALID_ARG_TYPE'],
    [{ capabilityBoundingSet: [38] }, 'ERR_INVALID_ARG_TYPE'],
    [{ ambientCapabilities: ['CAP_BPF'], capabilityBoundingSet: ['CAP_PERFMON'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ noNewPrivileges: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [{ rlimits: { files: 10 } }, 'ERR_INVALID_ARG_VALUE'],
    [{ rlimits: { nofile: -1 } }, 'ERR_OUT_OF_RANGE'],
    [{ rlimits: { nofile: 1.5 } }, 'ERR_OUT_OF_RANGE'],
    [{ rlimits: { nofile: '10' } }, 'ERR_INVALID_ARG_TYPE'],
    [{ rlimits: { nofile: { soft: 20, hard: 10 } } }, 'ERR_INVALID_ARG_VALUE'],
    [{ rlimits: { nofile: { soft: Infinity, hard: 10 } } }, 'ERR_INVALID_ARG_VALUE'],
    [{ rlimits: { nofile: { soft: 10 } } }, 'ERR_INVALID_ARG_TYPE'],
    [{ rlimits: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ nice: 20 }, 'ERR_OUT_OF_RANGE'],
    [{ nice: -21 }, 'ERR_OUT_OF_RANGE'],
    [{ cpuAffinity: [] }, 'ERR_INVALID_ARG_VALUE'],
    [{ cpuAffinity: [1024] }, 'ERR_OUT_OF_RANGE'],
    [{ cpuAffinity: 0 }, 'ERR_INVALID_ARG_TYPE'],
    [{ cgroup: 'tool/helper' }, 'ERR_INVALID_ARG_VALUE'],
    [{ cgroup: '/sys/fs/cgroup/a\0b' }, 'ERR_INVALID_ARG_VALUE'],
    [{ cgroup: 5 }, 'ERR_INVALID_ARG_TYPE'],
  ])('rejects %o with %s', (options, code) => {
    expect(() => spawnPrivate('/bin/true', [], options as never)).toThrow(expect.objectContaining({ code }));
  });
});
