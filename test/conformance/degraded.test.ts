import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { capabilities } from '../../esm/index.mjs';
import { runProgramUnderSeccomp, runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'degraded.cjs');

async function degraded(rules: string[], mode = '', isolation?: string): Promise<Record<string, any>> {
  const { thief, inspect } = inject('helpers');
  const env = { ...process.env };
  if (isolation === undefined) delete env.PRIVATE_PROCESS_ISOLATION;
  else env.PRIVATE_PROCESS_ISOLATION = isolation;
  const r = await runUnderSeccomp(rules, fixture, [thief, inspect, mode], { timeout: scaled(60_000), env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim());
}

// Each case emulates a kernel or a sandbox with a seccomp filter, so that
// every path runs on this one machine, in both isolations.
describe.each(['hidden', 'direct'])('on kernels and sandboxes that refuse clone3 or close_range (%s)', (isolation) => {
  it('falls back to legacy clone when clone3 answers ENOSYS, as Docker’s profile does', async () => {
    const r = await degraded(['clone3=ENOSYS'], '', isolation);
    expect(r.ownStatus).toBe(true);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.clonePidfd).toBe(true);
    expect(r.caps.backend).toBe('linux');
    expect(r.inspected).toEqual({
      sigBlk: '0000000000000000',
      sigIgn: '0000000000000000',
      fds: [0, 1, 2],
      nonblocking: [],
    });
    expect(r.wrong).toEqual([]);
    expect(r.lost).toBe(0);
    expect(r.errors).toEqual([]);
  });

  it('falls back to legacy clone when clone3 answers EPERM, as older container profiles do', async () => {
    // Only the package's clone3 calls are refused: the C library's pthread_create
    // gives up on EPERM, and Node could not start its threads.
    const r = await degraded(['clone3:VER0=EPERM'], '', isolation);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.clonePidfd).toBe(true);
    expect(r.caps.backend).toBe('linux');
    expect(r.inspected).toEqual({
      sigBlk: '0000000000000000',
      sigIgn: '0000000000000000',
      fds: [0, 1, 2],
      nonblocking: [],
    });
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('survives a profile that raises SIGSYS for clone3 instead of failing it, as Android’s does', async () => {
    const r = await degraded(['clone3:VER0=SIGSYS'], '', isolation);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.backend).toBe('linux');
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('keeps the child’s fd table clean without close_range', async () => {
    const r = await degraded(['close_range=ENOSYS'], '', isolation);
    expect(r.caps.closeRange).toBe(false);
    expect(r.inspected.fds).toEqual([0, 1, 2]);
    expect(r.wrong).toEqual([]);
  });
});

// Each case emulates a kernel or a sandbox with a seccomp filter, so that
// every path runs on this one machine.
describe('on kernels and sandboxes that refuse features', () => {
  it.each([
    'pidfd_send_signal=ENOSYS',
    'pidfd_send_signal=EPERM',
    'waitid:P_PIDFD=EINVAL',
    'pidfd_open=ENOSYS pidfd_send_signal=EPERM',
  ])('keeps hidden isolation when %s, and gives direct children through the waitpid table', async (rules) => {
    const r = await degraded(rules.split(' '), '--caps-only');
    expect(r.caps.backend).toBe('linux');
    expect(r.caps.isolation).toBe('hidden');
    expect(r.caps.backends.fallback.available).toBe(true);
    expect(r.spawned).toEqual({
      default: { backend: 'linux', isolation: 'hidden', status: 'exit 0' },
      direct: { backend: 'fallback', isolation: 'direct', status: 'exit 0' },
    });
  });

  it('direct: rejects with ERR_PRIVATE_STATUS_LOST, never hangs, when a thief wins and PIDFD_INFO_EXIT is missing', async () => {
    const r = await degraded(['ioctl:PIDFD_GET_INFO=ENOTTY'], '--thief', 'direct');
    expect(r.caps.pidfdInfoExit).toBe(false);
    expect(r.stolen).toBeGreaterThan(0);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.lost + r.wrong.length).toBeLessThanOrEqual(200);
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
    // A lost status is an 'error' event for whoever listens, and 'close' still comes.
    expect(r.errorEvents).toBe(r.lost);
    expect(r.closeEvents).toBe(200);
  });

  it('hidden: a thief takes nothing, and nothing is lost, when PIDFD_INFO_EXIT is missing', async () => {
    const r = await degraded(['ioctl:PIDFD_GET_INFO=ENOTTY'], '--thief');
    expect(r.caps.pidfdInfoExit).toBe(false);
    expect(r).toMatchObject({ stolen: 0, lost: 0, wrong: [], errors: [] });
  });

  const noInfoExit = capabilities().pidfdInfoExit
    ? ''
    : ` (skipped: this kernel, ${capabilities().kernel}, has no PIDFD_INFO_EXIT, Linux 6.15)`;
  it.skipIf(noInfoExit !== '')(
    `direct: recovers every stolen status through PIDFD_INFO_EXIT${noInfoExit}`,
    async () => {
      const r = await degraded([], '--thief', 'direct');
      expect(r.caps.pidfdInfoExit).toBe(true);
      expect(r.stolen).toBeGreaterThan(0);
      expect(r.lost).toBe(0);
      expect(r.wrong).toEqual([]);
    },
  );
});

it('hidden: an intermediate that may not wait for signals (rt_sigtimedwait refused) sleeps rather than spins, and reports its child', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'intermediate.cjs');
  const r = await runUnderSeccomp(['rt_sigtimedwait=EPERM'], fixture, [String(scaled(10_000))], {
    timeout: scaled(60_000),
  });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toMatchObject({ slept: true, status: 'SIGKILL' });
});

it('waitpid(0) names its own process group, which kernels before 5.4 need', async () => {
  const dist = JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'));
  const script = `
    const { waitpid } = require(${dist});
    const cp = require('node:child_process').spawn('/bin/sh', ['-c', 'exit 3'], { stdio: 'ignore' });
    cp.unref();
    let r;
    try { r = String(waitpid(0)); } catch (err) { r = err.code; }
    console.log(JSON.stringify({ pid: cp.pid, r }));`;
  const r = await runProgramUnderSeccomp(['waitid:P_PGID0=EINVAL'], process.execPath, ['-e', script]);
  const { pid, r: result } = JSON.parse(r.stdout);
  expect(result).toBe(`pid ${pid} exit 3`);
});
