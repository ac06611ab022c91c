import { afterEach, describe, expect, it } from 'vitest';
import { capabilities, spawnPrivate } from '../../esm/index.mjs';
import { backendsHere, emulated, kernelAtLeast, modesHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { thief } from '../helpers/thief.js';

const CHILDREN = 1000;
const IN_FLIGHT = 32;

/**
 * recovers tells whether a status another reaper took comes back here: from
 * the kernel (PIDFD_INFO_EXIT, with pidfds) or because the preload shim
 * never lets the thief have it. Otherwise the loss must at least be said.
 */
function recovers(backend: string, isolation: string): boolean {
  const caps = capabilities();
  // The emulated FreeBSD descriptor's exit event reads a stolen status through PIDFD_INFO_EXIT.
  if (emulated(backend)) return kernelAtLeast(6, 15);
  return isolation === 'hidden' || caps.shimActive || (backend === 'linux' && caps.pidfdInfoExit);
}

/**
 * Runs `count` private children, `IN_FLIGHT` at a time, each exiting with
 * its own code: a status may come back right or be reported lost, never
 * wrong; every other outcome is collected in `wrong`.
 */
async function runMany(
  backend: string,
  isolation: string,
  count: number,
): Promise<{ wrong: string[]; lost: number; pids: Set<number> }> {
  const wrong: string[] = [];
  const pids = new Set<number>();
  let next = 0;
  let lost = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      const code = i % 256;
      const h = spawnPrivate(...sh(`exit ${code}`), { backend, isolation, stdio: 'ignore' });
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

describe.each(modesHere())('a hostile waitpid(-1) in the process ($name)', ({ backend, isolation }) => {
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
  const promise = recovers(backend, isolation)
    ? `cannot make any of ${CHILDREN} private statuses wrong or missing`
    : `cannot make any of ${CHILDREN} private statuses wrong, and every loss says so (no shim, nothing kept a copy)`;

  // No wait for any child sees a FreeBSD process descriptor's child: the kernel's doing, which
  // the emulation's ordinary Linux children cannot show. There the thief does reap them, and the
  // status comes back through the descriptor's exit event instead.
  const unseen = emulated(backend) ? ' (the thief never seeing one: only a FreeBSD kernel makes it true)' : '';
  it.each(thieves)(`${promise}${unseen}: %s`, async (_name, start, stop) => {
    start();
    const { wrong, lost, pids } = await runMany(backend, isolation, CHILDREN);
    stop();
    const stolen = thief.takeStolen().filter((r) => pids.has(r.pid));
    expect(wrong).toEqual([]);
    // A hidden child is not ours to reap: the thief never sees one. A direct
    // one it does reap: the guarantee was exercised.
    if (isolation === 'hidden' && !emulated(backend)) expect(stolen).toEqual([]);
    else expect(stolen.length).toBeGreaterThan(0);
    if (recovers(backend, isolation)) expect(lost).toBe(0);
    else expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThanOrEqual(stolen.length);
  });

  it('waitSync() gets the status a thief stole, or says it is lost, and never hangs', () => {
    thief.startThreadThief();
    for (let i = 0; i < 50; i++) {
      const h = spawnPrivate(...sh(`exit ${i}`), { backend, isolation, stdio: 'ignore' });
      try {
        expect(h.waitSync().exitCode).toBe(i);
      } catch (err) {
        expect(recovers(backend, isolation)).toBe(false);
        expect((err as NodeJS.ErrnoException).code).toBe('ERR_PRIVATE_STATUS_LOST');
      }
    }
  });
});

const noFallback = backendsHere().includes('fallback') ? '' : ' (skipped: no fallback backend here)';
it.skipIf(noFallback !== '')(
  `the fallback backend starts one child per spawn, however many PATH entries it tries${noFallback}`,
  async () => {
    const env = { PATH: '/nonexistent-a:/nonexistent-b:/bin:/usr/bin' };
    thief.startThreadThief();
    const pids = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const h = spawnPrivate('true', [], { backend: 'fallback', stdio: 'ignore', env });
      pids.add(h.pid);
      await h.wait().catch(() => undefined); // the thief may take it: ERR_PRIVATE_STATUS_LOST
    }
    thief.stopThreadThief();
    // Every child the thief saw is one of the spawned ones: no candidate was tried in a child of its own.
    expect(thief.takeStolen().filter((r) => !pids.has(r.pid))).toEqual([]);
  },
);
