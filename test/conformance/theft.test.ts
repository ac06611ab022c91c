import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, spawnPrivate } from '../../esm/index.mjs';
import { backendsHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { thief } from '../helpers/thief.js';

const CHILDREN = 1000;
const IN_FLIGHT = 32;

/**
 * recovers tells whether a status another reaper took comes back here: from
 * the kernel (PIDFD_INFO_EXIT, with pidfds) or because the preload shim
 * never lets the thief have it. Otherwise the loss must at least be said.
 */
function recovers(backend: string): boolean {
  const caps = capabilities();
  return caps.shimActive || (backend === 'linux' && caps.pidfdInfoExit);
}

/**
 * Runs `count` private children, `IN_FLIGHT` at a time, each exiting with
 * its own code: a status may come back right or be reported lost, never
 * wrong; every other outcome is collected in `wrong`.
 */
async function runMany(backend: string, count: number): Promise<{ wrong: string[]; lost: number; pids: Set<number> }> {
  const wrong: string[] = [];
  const pids = new Set<number>();
  let next = 0;
  let lost = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      const code = i % 256;
      const h = spawnPrivate(...sh(`exit ${code}`), { backend, stdio: 'ignore' });
      pids.add(h.pid);
      try {
        const s = await h.wait();
        if (s.exitCode !== code || s.pid !== h.pid) wrong.push(`${h.pid}: ${s} instead of exit ${code}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_PRIVATE_STATUS_LOST') lost++;
        else wrong.push(`${h.pid}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { wrong, lost, pids };
}

describe.each(backendsHere())('a hostile waitpid(-1) in the process (%s backend)', (backend) => {
  checkNoLeaks();
  afterEach(() => {
    thief.stopThreadThief();
    thief.uninstallSigchldThief();
    thief.takeStolen();
  });

  const thieves = [
    ['a thread looping waitpid(-1)', () => thief.startThreadThief(), () => thief.stopThreadThief()],
    [
      'a SIGCHLD handler reaping with waitpid(-1, WNOHANG)',
      () => thief.installSigchldThief(),
      () => thief.uninstallSigchldThief(),
    ],
  ] as const;
  const promise = recovers(backend)
    ? `cannot make any of ${CHILDREN} private statuses wrong or missing`
    : `cannot make any of ${CHILDREN} private statuses wrong, and every loss says so (no shim, nothing kept a copy)`;

  it.each(thieves)(`${promise}: %s`, async (_name, start, stop) => {
    start();
    const { wrong, lost, pids } = await runMany(backend, CHILDREN);
    stop();
    const stolen = thief.takeStolen().filter((r) => pids.has(r.pid));
    expect(wrong).toEqual([]);
    // The thief really did take statuses: the guarantee was exercised.
    expect(stolen.length).toBeGreaterThan(0);
    if (recovers(backend)) expect(lost).toBe(0);
    else expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThanOrEqual(stolen.length);
  });

  it('waitSync() gets the status a thief stole, or says it is lost, and never hangs', () => {
    thief.startThreadThief();
    for (let i = 0; i < 50; i++) {
      const h = spawnPrivate(...sh(`exit ${i}`), { backend, stdio: 'ignore' });
      try {
        expect(h.waitSync().exitCode).toBe(i);
      } catch (err) {
        expect(recovers(backend)).toBe(false);
        expect((err as NodeJS.ErrnoException).code).toBe('ERR_PRIVATE_STATUS_LOST');
      }
    }
  });
});
