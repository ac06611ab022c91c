import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runUnderSeccomp } from '../helpers/seccomp.js';

const fixture = path.join(__dirname, '..', 'fixtures', 'degraded.cjs');

async function degraded(rules: string[], mode = ''): Promise<Record<string, any>> {
  const { thief, inspect } = inject('helpers');
  const r = await runUnderSeccomp(rules, fixture, [thief, inspect, mode], { timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim());
}

// Each case emulates a kernel or a sandbox with a seccomp filter, so that
// every path runs on this one machine.
describe('on kernels and sandboxes that refuse features', () => {
  it('falls back to legacy clone when clone3 answers ENOSYS, as Docker’s profile does', async () => {
    const r = await degraded(['clone3=ENOSYS']);
    expect(r.ownStatus).toBe(true);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.clonePidfd).toBe(true);
    expect(r.caps.backend).toBe('linux');
    expect(r.inspected).toEqual({ sigBlk: '0000000000000000', sigIgn: '0000000000000000', fds: [0, 1, 2] });
    expect(r.wrong).toEqual([]);
    expect(r.lost).toBe(0);
    expect(r.errors).toEqual([]);
  });

  it('falls back to legacy clone when clone3 answers EPERM, as older container profiles do', async () => {
    // Only the package's clone3 calls are refused: the C library's pthread_create
    // gives up on EPERM, and Node could not start its threads.
    const r = await degraded(['clone3:VER0=EPERM']);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.clonePidfd).toBe(true);
    expect(r.caps.backend).toBe('linux');
    expect(r.inspected).toEqual({ sigBlk: '0000000000000000', sigIgn: '0000000000000000', fds: [0, 1, 2] });
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('survives a profile that raises SIGSYS for clone3 instead of failing it, as Android’s does', async () => {
    const r = await degraded(['clone3:VER0=SIGSYS']);
    expect(r.caps.clone3).toBe(false);
    expect(r.caps.backend).toBe('linux');
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it.each([
    'pidfd_send_signal=ENOSYS',
    'pidfd_send_signal=EPERM',
    'waitid:P_PIDFD=EINVAL',
    'pidfd_open=ENOSYS pidfd_send_signal=EPERM',
  ])('falls back to the waitpid table when %s, and says why in capabilities()', async (rules) => {
    const r = await degraded(rules.split(' '), '--caps-only');
    expect(r.caps.backends.linux.available).toBe(false);
    expect(r.caps.backends.linux.reason).toMatch(/pidfd|clone|waitid/);
    expect(r.caps.backends.fallback.available).toBe(true);
    expect(r.caps.backend).toBe('fallback');
    expect(r.code).toBeNull(); // the spawn worked, through posix_spawn
  });

  it('keeps the child’s fd table clean without close_range', async () => {
    const r = await degraded(['close_range=ENOSYS']);
    expect(r.caps.closeRange).toBe(false);
    expect(r.inspected.fds).toEqual([0, 1, 2]);
    expect(r.wrong).toEqual([]);
  });

  it('rejects with ERR_PRIVATE_STATUS_LOST, never hangs, when a thief wins and PIDFD_INFO_EXIT is missing', async () => {
    const r = await degraded(['ioctl:PIDFD_GET_INFO=ENOTTY'], '--thief');
    expect(r.caps.pidfdInfoExit).toBe(false);
    expect(r.stolen).toBeGreaterThan(0);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.lost + r.wrong.length).toBeLessThanOrEqual(200);
    expect(r.wrong).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('recovers every stolen status through PIDFD_INFO_EXIT when the kernel has it', async () => {
    const r = await degraded([], '--thief');
    expect(r.caps.pidfdInfoExit).toBe(true);
    expect(r.stolen).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
    expect(r.wrong).toEqual([]);
  });
});
