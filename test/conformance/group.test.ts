import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runPrivate, runPrivateSync, spawnPrivate } from '../../esm/index.mjs';
import { rejection } from '../helpers/assert.js';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { parseProcStat } from '../helpers/leaks.js';
import { runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled } from '../helpers/time.mjs';

/** A shell that starts a grandchild in its own process group, prints the grandchild's pid, and waits. */
const family = sh('sleep 30 & echo $!; wait');

/** The first line of a stream, as a pid. */
async function firstPid(stream: Readable): Promise<number> {
  const [chunk] = await once(stream, 'data');
  return Number(String(chunk).split('\n')[0]);
}

/** alive is true while pid runs: not gone, and not a zombie waiting for init. */
function alive(pid: number): boolean {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).state !== 'Z';
  } catch {
    return false;
  }
}

/**
 * untilDead resolves once pid has died. A signal is delivered when kill() returns, but the
 * process takes a moment to go; the deadline is a safety net, not a timing assertion.
 */
async function untilDead(pid: number, deadlineMs = 20_000): Promise<void> {
  const stop = Date.now() + deadlineMs;
  while (alive(pid)) {
    if (Date.now() > stop) throw new Error(`${pid} is still alive`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(modesHere())('process groups of detached children ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('kill(signal, { group: true }) reaches what the child started, and only while it is unreaped', async () => {
    const h = spawnPrivate(...family, { backend, isolation, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await firstPid(h.stdout);
    expect(h.kill('SIGTERM', { group: true })).toBe(true);
    expect((await h.wait()).signal).toBe('SIGTERM');
    await untilDead(grandchild);
    expect(h.kill('SIGTERM', { group: true })).toBe(false);
  });

  it('kill() without group signals the child alone, as before', async () => {
    const h = spawnPrivate(...family, { backend, isolation, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await firstPid(h.stdout);
    h.kill('SIGKILL');
    await h.wait();
    expect(alive(grandchild)).toBe(true);
    process.kill(grandchild, 'SIGKILL'); // not our child: killed by its pid, which we just saw alive
    await untilDead(grandchild);
  });

  it('refuses a group kill of a child that is not detached: its group is this process’s own', async () => {
    const h = spawnPrivate('sleep', ['30'], { backend, isolation, stdio: 'ignore' });
    expect(() => h.kill('SIGTERM', { group: true })).toThrow(
      expect.objectContaining({ code: 'ERR_PRIVATE_NOT_DETACHED' }),
    );
    expect(() => h.kill('SIGTERM', { group: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(h.status).toBeNull(); // nothing was signalled
    h.kill();
    await h.wait();
  });

  it('a timeout stops the whole group of a detached child', async () => {
    const h = spawnPrivate(...family, {
      backend,
      isolation,
      detached: true,
      timeout: 100,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const grandchild = await firstPid(h.stdout);
    expect((await h.wait()).signal).toBe('SIGTERM');
    await untilDead(grandchild);
  });

  const noSync = unlessPortable(backend, 'runPrivateSync() has no pipes to poll');
  it.skipIf(noSync !== '')(
    `a run’s timeout stops the group, so a grandchild that holds the pipes does not hold the run${noSync}`,
    async () => {
      const err = await rejection(runPrivate(...family, { backend, isolation, detached: true, timeout: 200 }));
      expect(err.code).toBe('ETIMEDOUT');
      await untilDead(Number(err.stdout));
      const sync = await rejection(
        (async () => runPrivateSync(...family, { backend, isolation, detached: true, timeout: 200 }))(),
      );
      expect(sync.code).toBe('ETIMEDOUT');
      await untilDead(Number(sync.stdout));
    },
  );

  it('maxBuffer and abort stop the group of a detached run', async () => {
    const flood = await rejection(
      runPrivate(...sh('yes & echo $! >&2; wait'), { backend, isolation, detached: true, maxBuffer: 1000 }),
    );
    expect(flood.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    await untilDead(Number(flood.stderr));
    const ac = new AbortController();
    const run = runPrivate(...sh('sleep 30 & echo $! >&2; wait'), {
      backend,
      detached: true,
      signal: ac.signal,
    });
    setImmediate(() => ac.abort());
    const aborted = await rejection(run);
    expect(aborted.code).toBe('ABORT_ERR');
    if (aborted.stderr !== '') await untilDead(Number(aborted.stderr));
  });

  it('await using stops the group of a detached child', async () => {
    let grandchild = 0;
    {
      await using h = spawnPrivate(...family, {
        backend,
        isolation,
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      grandchild = await firstPid(h.stdout);
    }
    await untilDead(grandchild);
  });

  it('stopping a detached child on the caller’s behalf never throws when the group kill is refused: the child alone is stopped', async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'group-refused.cjs');
    const refused = ['kill:GROUP=EPERM', 'pidfd_send_signal:GROUP=EPERM'];
    const env = { ...process.env, PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: isolation };
    const r = await runUnderSeccomp(refused, fixture, [], { env, timeout: scaled(20_000) });
    const [pids = '', results = 'null'] = r.stdout.trim().split('\n');
    // Left running when the fixture died of an uncaught exception: killed by the pids it printed.
    for (const pid of pids.split(' ').map(Number)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(results)).toEqual({
      timeout: 'SIGTERM',
      escalation: 'SIGKILL',
      abort: 'SIGTERM',
      dispose: 'SIGTERM',
      asyncDispose: 'SIGKILL',
      maxBuffer: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER SIGTERM',
    });
  });
});
