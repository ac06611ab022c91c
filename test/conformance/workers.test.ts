import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { capabilities, spawnPrivate } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks, untilAllReaped } from '../helpers/children.js';
import { processState, untilGone } from '../helpers/process.js';
import { kernelProfiles, runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled } from '../helpers/time.mjs';

const fixtures = path.join(__dirname, '..', 'fixtures');

/** Starts the worker fixture and resolves with the pid of the child it spawned. */
async function workerChild(workerData: object): Promise<{ worker: Worker; pid: number }> {
  const worker = new Worker(path.join(fixtures, 'worker-spawn.cjs'), { workerData });
  const [pid] = (await once(worker, 'message')) as [number];
  return { worker, pid };
}

/**
 * Runs the die-with-parent fixture to its exit, in the given mode; resolves with the pid of the
 * child it left behind and of that child's parent then (the intermediate of a hidden child).
 */
async function orphanedChild(dieWithParent: boolean, backend: string, isolation: string): Promise<[number, number]> {
  const fixture = spawn(process.execPath, [path.join(fixtures, 'die-with-parent.cjs'), String(dieWithParent)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: isolation },
  });
  let out = '';
  fixture.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
  // 'close', not 'exit': the pipe must be closed too when the test's leak check looks.
  await once(fixture, 'close');
  const [pid, ppid] = out.trim().split(' ').map(Number);
  return [pid!, ppid!];
}

describe.each(modesHere())('private children and worker threads ($name)', ({ backend, isolation }) => {
  const orphan = unlessPortable(backend, "a child of an ended worker is left to that worker's loop, which is gone");
  checkNoLeaks();

  it('spawns and waits inside a worker', async () => {
    const worker = new Worker(path.join(fixtures, 'worker-spawn.cjs'), {
      workerData: { file: '/bin/sh', args: ['-c', 'exit 4'], options: { backend, isolation } },
    });
    const messages: unknown[] = [];
    worker.on('message', (m) => messages.push(m));
    await new Promise((r) => worker.on('message', () => messages.length === 2 && r(null)));
    await worker.terminate();
    expect(messages[1]).toBe(`pid ${messages[0]} exit 4`);
  });

  it.skipIf(orphan !== '')(
    `leaves no zombie when the worker is terminated in the middle of a wait${orphan}`,
    async () => {
      const { worker, pid } = await workerChild({ file: '/bin/sleep', args: ['0.3'], options: { backend, isolation } });
      await worker.terminate();
      // The child outlives the worker; once it exits, something must reap it.
      const gone = await untilGone(pid);
      if (!gone) process.kill(pid, 'SIGKILL');
      expect(processState(pid)).toBeNull();
      // ...and what reaps it (the orphan reaper, or a hidden child's intermediate) is reaped in turn.
      await untilAllReaped();
    },
  );

  it.skipIf(orphan !== '')(
    `ends a worker in the middle of a run whose output it reads, closing the pipes; the process lives on${orphan}`,
    async () => {
      const worker = new Worker(path.join(fixtures, 'worker-run.cjs'), {
        workerData: { options: { backend, isolation } },
      });
      const [pid] = (await once(worker, 'message')) as [number];
      await worker.terminate();
      // The worker's pipes are closed with it: a child writing on would get EPIPE; this one is killed here.
      process.kill(pid, 'SIGKILL');
      expect(await untilGone(pid)).toBe(true);
      await untilAllReaped();
    },
  );

  // FreeBSD's parent-death signal (PROC_PDEATHSIG_CTL) follows the process, not the thread.
  const perThread =
    backend === 'fallback' || backend === 'portable'
      ? ' (skipped: posix_spawn and child_process cannot arm it)'
      : backend === 'freebsd'
        ? ' (skipped: on FreeBSD the signal follows the process, not the thread)'
        : '';
  it.skipIf(perThread !== '')(
    `dieWithParent in a worker kills the child when that worker ends, not this process${perThread}`,
    async () => {
      const { worker, pid } = await workerChild({
        file: '/bin/sleep',
        args: ['30'],
        options: { backend, isolation, dieWithParent: true },
      });
      expect(processState(pid)).not.toBeNull();
      await worker.terminate();
      const gone = await untilGone(pid);
      if (!gone) process.kill(pid, 'SIGKILL');
      expect(gone).toBe(true);
      // A hidden child's intermediate, whose thread has ended, is the orphan reaper's: in its time.
      await untilAllReaped();
    },
  );

  const unarmed =
    backend === 'fallback' || backend === 'portable' ? ' (skipped: posix_spawn and child_process cannot arm it)' : '';
  it.skipIf(unarmed !== '')(
    `dieWithParent kills the child when the process that spawned it exits${unarmed}`,
    async () => {
      const [pid] = await orphanedChild(true, backend, isolation);
      expect(pid).toBeGreaterThan(0);
      const gone = await untilGone(pid);
      if (!gone) process.kill(pid, 'SIGKILL');
      expect(gone).toBe(true);
    },
  );

  it('without dieWithParent the child outlives the process that spawned it, and no intermediate is left', async () => {
    const [pid, parent] = await orphanedChild(false, backend, isolation);
    expect(processState(pid)).not.toBeNull();
    // A hidden child's intermediate leaves with the process: it holds the dead process's memory.
    if (isolation === 'hidden') expect(await untilGone(parent)).toBe(true);
    process.kill(pid, 'SIGKILL');
    await untilGone(pid);
  });
});

// The package's own handles stay usable on the main thread meanwhile.
it('a main-thread child is unaffected by workers coming and going', async () => {
  const h = spawnPrivate('/bin/sh', ['-c', 'exit 9'], { stdio: 'ignore' });
  const { worker } = await workerChild({ file: '/bin/true', args: [], options: {} });
  await worker.terminate();
  expect((await h.wait()).exitCode).toBe(9);
});

const noHidden = capabilities().isolations.hidden.available
  ? capabilities().backend === 'linux'
    ? ''
    : ` (skipped: the ${capabilities().backend} backend has no intermediate to watch)`
  : ` (skipped: ${capabilities().isolations.hidden.reason})`;
const [pidfdless, noPidfds] = kernelProfiles[2]!;
it.skipIf(noHidden !== '')(
  `on ${pidfdless}, hidden children an ended worker left to the orphan reaper leave no eventfd behind${noHidden}`,
  async () => {
    const fixture = path.join(fixtures, 'orphan-eventfds.cjs');
    const r = await runUnderSeccomp(noPidfds, fixture, [String(scaled(20_000))], { timeout: scaled(60_000) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ pidfds: false, reaped: true, leaked: 0 });
  },
);
