import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { capabilities } from '../../esm/index.mjs';
import { emulated } from '../helpers/backends.js';
import { kernelProfiles, runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled, scaledCount } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'hostile-host.cjs');
const CHILDREN = scaledCount(1000);
// Under the FreeBSD emulation hidden isolation is the FreeBSD kernel's, which a Linux child cannot show.
const noHidden = !capabilities().isolations.hidden.available
  ? ` (skipped: ${capabilities().isolations.hidden.reason})`
  : emulated(capabilities().backend ?? '')
    ? ' (skipped: only a FreeBSD kernel makes this true; the emulated children are ordinary Linux children)'
    : '';

/** Runs the hostile host under a kernel profile, in the default isolation or the one given. */
async function hostile(rules: readonly string[], mode: string, isolation?: string): Promise<any> {
  const env = { ...process.env };
  delete env.PRIVATE_PROCESS_BACKEND;
  if (isolation === undefined) delete env.PRIVATE_PROCESS_ISOLATION;
  else env.PRIVATE_PROCESS_ISOLATION = isolation;
  const r = await runUnderSeccomp(rules, fixture, [inject('helpers').thief, mode, String(CHILDREN)], {
    env,
    timeout: scaled(300_000),
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const hosts = [
  ['a thread looping waitpid(-1) and a SIGCHLD handler reaping with waitpid(-1, WNOHANG)', 'thieves'],
  ['SIGCHLD set to SIG_IGN', 'ignore'],
] as const;

describe.skipIf(noHidden !== '')(`hidden isolation, by default, no preload shim${noHidden}`, () => {
  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    it.each(hosts)(
      `with %s: every one of ${CHILDREN} statuses exact with its usage, none reaped by the host, no SIGCHLD for one`,
      async (_host, mode) => {
        const r = await hostile(rules, mode);
        expect(r.isolation).toBe('hidden');
        expect(r).toMatchObject({ wrong: [], lost: 0, errors: [], stolen: 0, signalled: 0 });
        // The host's own choice of SIGCHLD's action is left as it made it.
        expect(r.disposition).toBe(mode === 'ignore' ? 'ignore' : 'handler');
      },
    );

    // The same host with direct children: what hidden isolation spares. Each of these breaks at
    // least one of the promises above, so the tests above would fail with isolation 'direct'.
    it.each(hosts)('with %s, direct children are not spared', async (_host, mode) => {
      const r = await hostile(rules, mode, 'direct');
      expect(r.isolation).toBe('direct');
      const broken =
        r.wrong.length > 0 ||
        r.lost > 0 ||
        r.stolen > 0 ||
        r.signalled > 0 ||
        r.disposition !== (mode === 'ignore' ? 'ignore' : 'handler');
      expect(broken).toBe(true);
    });
  });
});

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? '' : ' (skipped: changing credentials, cgroups and namespaces needs root)';

describe.skipIf(noHidden !== '' || !isRoot)(`what a hidden child starts with${noHidden}${needsRoot}`, () => {
  it('is what a direct child would start with at that moment, after each change the host makes', async () => {
    // A cgroup (v1 pids hierarchy) to move the host into, where this machine has one.
    const cgroupRoot = '/sys/fs/cgroup/pids';
    const cgroup = existsSync(cgroupRoot) ? path.join(cgroupRoot, `pp-fidelity-${process.pid}`) : '';
    if (cgroup !== '') mkdirSync(cgroup);
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(__dirname, '..', 'fixtures', 'fidelity.cjs'), inject('helpers').host, cgroup],
        { timeout: scaled(120_000) },
      );
      const { steps } = JSON.parse(stdout) as { steps: Array<{ step: string; hidden: any; direct: any }> };
      for (const { step, hidden, direct } of steps) expect({ step, report: hidden }).toEqual({ step, report: direct });
      const last = (name: string) => steps.find((s) => s.step.startsWith(name))!.hidden;
      // Each change did reach the children.
      expect(last('process.chdir')).toMatchObject({ cwd: '/tmp', umask: '0027' });
      expect(last('setrlimit')).toMatchObject({ nofile: '512' });
      expect(last('nice')).toMatchObject({ nice: '5' });
      expect(last('CPU affinity')).toMatchObject({ Cpus_allowed_list: '0' });
      if (cgroup !== '') expect(last('a move')).toMatchObject({ cgroup: expect.stringContaining('pp-fidelity-') });
      expect(last('a new UTS').uts).toMatch(/^pp-fidelity uts:/);
      expect(last('a new UTS').uts).not.toBe(steps[0]!.hidden.uts);
      expect(BigInt(`0x${last('a capability').CapBnd}`) & (1n << 22n)).toBe(0n);
      expect(last('no_new_privs')).toMatchObject({ NoNewPrivs: '1' });
      expect(last('a seccomp filter')).toMatchObject({ Seccomp: '2' });
      expect(last('process.setgroups').ids).toBe('1000 1000 1000 10 20');
    } finally {
      if (cgroup !== '') rmdirSync(cgroup);
    }
  });
});

describe.skipIf(noHidden !== '')(`a hidden child whose intermediate is killed from outside${noHidden}`, () => {
  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    it.each(['wait', 'waitSync'])(
      '%s() says the status is lost, never hangs; kill() then reaches nothing',
      async (how) => {
        const fixture = path.join(__dirname, '..', 'fixtures', 'killed-intermediate.cjs');
        const r = await runUnderSeccomp(rules, fixture, [how], { timeout: scaled(60_000) });
        expect(r.stderr).toBe('');
        const out = JSON.parse(r.stdout);
        expect(out.intermediate).toBe(true); // the child's parent was not this process
        expect(out.code).toBe('ERR_PRIVATE_STATUS_LOST');
        expect(out.kill === 'ESRCH' || out.kill === false).toBe(true);
        expect(out.orphanAlive).toBe(true); // the child itself lived on (and was then killed by pid)
      },
    );
  });
});

describe.skipIf(noHidden !== '')(
  `a hidden spawn whose intermediate is killed before its child execs${noHidden}`,
  () => {
    describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
      it('throws ESRCH at step intermediate with that child gone, and the next spawn still throws its own ENOENT', async () => {
        const fixture = path.join(__dirname, '..', 'fixtures', 'killed-before-exec.cjs');
        const r = await runUnderSeccomp(rules, fixture, [inject('helpers').sniper, '20', inject('helpers').host], {
          timeout: scaled(180_000),
        });
        expect(r.stderr).toBe('');
        const { rounds, inFlight, a, b, aLeftRunning } = JSON.parse(r.stdout);
        // In 20 rounds the next spawn B was in flight when the orphaned child, if any, was let go.
        expect({ inFlight, a, b, aLeftRunning }).toEqual({
          inFlight: 20,
          a: { 'ESRCH intermediate': rounds },
          b: { 'ENOENT execve': 20 },
          aLeftRunning: 0,
        });
      });
    });
  },
);

describe.skipIf(noHidden !== '')(`signals a child sends its parent and its process group${noHidden}`, () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'parent-signals.cjs');

  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    it('reach this process once each; a native handler sees the sender’s pid, with SI_QUEUE for kill()', async () => {
      const r = await runUnderSeccomp(rules, fixture, [inject('helpers').host, 'hidden'], { timeout: scaled(60_000) });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({
        parentIsThisProcess: false, // its parent is the intermediate
        usr1: 1,
        hup: 1,
        usr2: { count: 1, code: -1, fromChild: true },
      });
    });
  });

  it('reach this process once each from a direct child too, with SI_USER', async () => {
    const r = await runUnderSeccomp([], fixture, [inject('helpers').host, 'direct'], { timeout: scaled(60_000) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      parentIsThisProcess: true,
      usr1: 1,
      hup: 1,
      usr2: { count: 1, code: 0, fromChild: true },
    });
  });
});

describe.skipIf(noHidden !== '')(`a hidden child's intermediate, seen from outside${noHidden}`, () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'intermediate.cjs');
  describe.each(kernelProfiles)('on %s', (_kernel, rules) => {
    it('is named pp-intermediate, has this process’s CPU mask (which the spawn leaves as it was), sleeps rather than spins, and leaves the child in this process group for its own', async () => {
      const r = await runUnderSeccomp(rules, fixture, [String(scaled(10_000))], { timeout: scaled(60_000) });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({
        name: 'pp-intermediate',
        sameCpus: true,
        slept: true,
        ownGroup: true,
        childInThisGroup: true,
        threadCpusKept: true,
        status: 'SIGKILL',
      });
    });
  });
});
