import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { capabilities, spawnPrivate } from '../../esm/index.mjs';
import {
  emulated,
  kernelAtLeast,
  kqueueKeepsStolen,
  modesHere,
  unlessBackend,
  unlessPortable,
} from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { thief } from '../helpers/thief.js';
import { scaledCount } from '../helpers/time.mjs';

const CHILDREN = scaledCount(1000);
const IN_FLIGHT = 32;

/**
 * recovery tells whether a status another reaper took comes back here:
 * 'all' from the kernel (PIDFD_INFO_EXIT, with pidfds) or because the
 * preload shim never lets the thief have it; 'some' through the fallback's
 * kqueue exit watch (macOS, FreeBSD), which has it unless the child was
 * gone before the watch was registered; else 'none'. A loss must at least
 * be said.
 */
function recovery(backend: string, isolation: string): 'all' | 'some' | 'none' {
  const caps = capabilities();
  // The emulated kqueue reads a stolen status through PIDFD_INFO_EXIT.
  const emulatedKqueue = emulated('freebsd') && kernelAtLeast(6, 15);
  if (emulated(backend)) return emulatedKqueue ? 'all' : 'none';
  if (isolation === 'hidden' || caps.shimActive || (backend === 'linux' && caps.pidfdInfoExit)) return 'all';
  if (backend === 'fallback' && kqueueKeepsStolen()) return 'some';
  return 'none';
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
  const promise = {
    all: `cannot make any of ${CHILDREN} private statuses wrong or missing`,
    some: `cannot make any of ${CHILDREN} private statuses wrong, and every loss says so (a child gone before its exit watch)`,
    none: `cannot make any of ${CHILDREN} private statuses wrong, and every loss says so (no shim, nothing kept a copy)`,
  }[recovery(backend, isolation)];

  // No wait for any child sees a FreeBSD process descriptor's child: the kernel's doing, which
  // the emulation's ordinary Linux children cannot show. There the thief does reap them, and the
  // status comes back through the descriptor's exit event instead.
  const unseen = emulated(backend) ? ' (the thief never seeing one: only a FreeBSD kernel makes it true)' : '';
  // child_process never learns of an exit a thief reaped: its wait would never settle.
  const stealable = unlessPortable(
    backend,
    'a foreign waitpid(-1) takes its status and libuv never learns of the exit; on Windows nothing can take it',
  );
  const check = stealable === '' ? it : it.skip;
  check.each(thieves)(`${promise}${unseen}: %s${stealable}`, async (_name, start, stop) => {
    start();
    const { wrong, lost, pids } = await runMany(backend, isolation, CHILDREN);
    stop();
    const stolen = thief.takeStolen().filter((r) => pids.has(r.pid));
    expect(wrong).toEqual([]);
    // A hidden child is not ours to reap: the thief never sees one. A direct
    // one it does reap: the guarantee was exercised.
    if (isolation === 'hidden' && !emulated(backend)) expect(stolen).toEqual([]);
    else expect(stolen.length).toBeGreaterThan(0);
    if (recovery(backend, isolation) === 'all') expect(lost).toBe(0);
    if (recovery(backend, isolation) === 'none') expect(lost).toBeGreaterThan(0);
    // The exit watch did keep statuses: not every stolen one was lost.
    if (recovery(backend, isolation) === 'some') expect(lost).toBeLessThan(stolen.length);
    expect(lost).toBeLessThanOrEqual(stolen.length);
  });

  check(`waitSync() gets the status a thief stole, or says it is lost, and never hangs${stealable}`, () => {
    thief.startThreadThief();
    for (let i = 0; i < 50; i++) {
      const h = spawnPrivate(...sh(`exit ${i}`), { backend, isolation, stdio: 'ignore' });
      try {
        expect(h.waitSync().exitCode).toBe(i);
      } catch (err) {
        expect(recovery(backend, isolation)).not.toBe('all');
        expect((err as NodeJS.ErrnoException).code).toBe('ERR_PRIVATE_STATUS_LOST');
      }
    }
  });
});

const noFallback = unlessBackend('fallback');
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

const noPortable = unlessBackend('portable');
it.skipIf(noPortable !== '')(
  `the portable backend starts one child per spawn, however many PATH entries it tries, and a thief cannot abort it${noPortable}`,
  async () => {
    // In a process of its own: libuv asserts (and aborts the process) when a thief reaps a failed try.
    const fixture = path.join(__dirname, '..', 'fixtures', 'portable-path-thief.cjs');
    const count = scaledCount(200);
    const run = promisify(execFile)(process.execPath, [fixture, inject('helpers').thief, String(count)]);
    const { stdout, stderr } = await run.catch((e: { stdout: string; stderr: string; signal: string | null }) => {
      throw new Error(`the fixture failed (signal ${e.signal}): ${e.stderr.slice(0, 500)}`);
    });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ spawned: count, strangers: 0 });
  },
);
