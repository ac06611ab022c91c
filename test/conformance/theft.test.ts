import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, spawnPrivate } from '../../esm/index.mjs';
import { backendsHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { thief } from '../helpers/thief.js';

const CHILDREN = 1000;
// Without PIDFD_INFO_EXIT (Linux < 6.15) only the preload shim can give a
// stolen status back; these tests then skip and say why.
const noInfoExit = capabilities().pidfdInfoExit
  ? ''
  : ' (skipped: this kernel has no PIDFD_INFO_EXIT, Linux 6.15, and no shim is loaded)';
const IN_FLIGHT = 32;

/**
 * Runs `count` private children, `IN_FLIGHT` at a time, each exiting with its
 * own code, and returns how many statuses came back wrong or missing.
 */
async function runMany(backend: string, count: number): Promise<{ wrong: string[]; pids: Set<number> }> {
  const wrong: string[] = [];
  const pids = new Set<number>();
  let next = 0;
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
        wrong.push(`${h.pid}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { wrong, pids };
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

  it.skipIf(!capabilities().pidfdInfoExit).each(thieves)(
    `cannot make any of ${CHILDREN} private statuses wrong or missing: %s${noInfoExit}`,
    async (_name, start, stop) => {
      start();
      const { wrong, pids } = await runMany(backend, CHILDREN);
      stop();
      const stolen = thief.takeStolen().filter((r) => pids.has(r.pid));
      expect(wrong).toEqual([]);
      // The thief really did take statuses: the guarantee was exercised.
      expect(stolen.length).toBeGreaterThan(0);
    },
  );

  it('waitSync() gets the status a thief stole, and never hangs', () => {
    thief.startThreadThief();
    for (let i = 0; i < 50; i++) {
      const h = spawnPrivate(...sh(`exit ${i}`), { backend, stdio: 'ignore' });
      try {
        expect(h.waitSync().exitCode).toBe(i);
      } catch (err) {
        // Only a kernel without PIDFD_INFO_EXIT may lose it, and then it says so.
        expect(capabilities().pidfdInfoExit).toBe(false);
        expect((err as NodeJS.ErrnoException).code).toBe('ERR_PRIVATE_STATUS_LOST');
      }
    }
  });
});
