import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { spawnPrivate, waitpid } from '../../esm/index.mjs';
import { backendsHere, modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { scaled } from '../helpers/time.mjs';

/** 1 for a zombie, 0 for a live process, -1 for one that is gone (reaped). */
function stateOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? 1 : 0;
  } catch {
    return -1;
  }
}

/**
 * Blocks the thread until every pid has exited: a child of this process is
 * then a zombie (nothing here can reap it meanwhile); a hidden child, which
 * its intermediate reaps, is gone.
 */
function untilZombies(...pids: number[]): void {
  const stop = Date.now() + scaled(10_000);
  while (!pids.every((pid) => stateOf(pid) !== 0)) {
    if (Date.now() > stop) throw new Error(`children ${pids} did not exit`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
}

/** An ordinary child of child_process, unref'd: our waitpid will take it from libuv. */
function ordinary(script: string): number {
  const cp = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  cp.unref();
  return cp.pid!;
}

describe.each(modesHere())("the package's waitpid() ($name)", ({ backend, isolation }) => {
  checkNoLeaks();
  // Without an addon there is no waitpid; with one, child_process's children look ordinary to it.
  const why = unlessPortable(backend, "its children are child_process's, which waitpid cannot tell from ordinary ones");
  const check = why === '' ? it : it.skip;

  check(`reaps an ordinary child by pid${why}`, () => {
    const pid = ordinary('exit 4');
    const s = waitpid(pid)!;
    expect(s.pid).toBe(pid);
    expect(s.exitCode).toBe(4);
  });

  check(`returns ordinary children from waitpid(-1), never a private one${why}`, async () => {
    const h = spawnPrivate(...sh('exit 5'), { backend, isolation, stdio: 'ignore' });
    const pid = ordinary('exit 6');
    untilZombies(h.pid, pid);
    const s = waitpid(-1)!;
    expect(s.pid).toBe(pid);
    expect(s.exitCode).toBe(6);
    // Only the private zombie is left: it is reaped for its handle, and we get ECHILD.
    expect(() => waitpid(-1, { nohang: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    const mine = await h.wait();
    expect(mine.exitCode).toBe(5);
    expect(mine.resourceUsage).not.toBeNull();
  });

  check(`answers ECHILD for a private pid, even once it has exited${why}`, async () => {
    const h = spawnPrivate(...sh('exit 7'), { backend, isolation, stdio: 'ignore' });
    expect(() => waitpid(h.pid, { nohang: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    untilZombies(h.pid);
    expect(() => waitpid(h.pid)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect((await h.wait()).exitCode).toBe(7);
  });

  check(`does not block when only private children are left${why}`, async () => {
    const h = spawnPrivate('/bin/sleep', ['0.2'], { backend, isolation, stdio: 'ignore' });
    expect(() => waitpid(-1)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect((await h.wait()).exitCode).toBe(0);
  });

  check(`does not block when only private children are left, where /proc has no children lists${why}`, async () => {
    // no-proc-children.so makes /proc/PID/task/TID/children missing, as a kernel without
    // CONFIG_PROC_CHILDREN does: the children are then found by their parent in /proc/PID/stat.
    const fixture = path.join(__dirname, '..', 'fixtures', 'only-private-left.cjs');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [fixture, 'package'],
        {
          env: {
            ...process.env,
            LD_PRELOAD: inject('helpers').noProcChildren,
            PRIVATE_PROCESS_BACKEND: backend,
            PRIVATE_PROCESS_ISOLATION: isolation,
          },
          timeout: scaled(30_000),
        },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(out)).toEqual({ answer: 'ECHILD', stillRunning: true, shimActive: false });
  });

  check(`blocks for an ordinary child while private ones exit meanwhile${why}`, async () => {
    const handles = Array.from({ length: 5 }, (_, i) =>
      spawnPrivate(...sh(`exit ${10 + i}`), { backend, isolation, stdio: 'ignore' }),
    );
    const pid = ordinary('sleep 0.3; exit 9');
    const s = waitpid(-1)!;
    expect(s.pid).toBe(pid);
    expect(s.exitCode).toBe(9);
    const codes = await Promise.all(handles.map(async (h) => (await h.wait()).exitCode));
    expect(codes).toEqual([10, 11, 12, 13, 14]);
  });

  check(`returns null with nohang while an ordinary child runs${why}`, () => {
    const pid = ordinary('sleep 0.2; exit 1');
    expect(waitpid(-1, { nohang: true })).toBeNull();
    expect(waitpid(pid)!.exitCode).toBe(1);
  });
});

describe("the package's waitpid() checks its arguments before it waits", () => {
  // An ordinary child that ends by itself: a wait the checks let through by mistake ends with it.
  it('refuses a nohang that is not a boolean with ERR_INVALID_ARG_TYPE, rather than blocking', () => {
    const pid = ordinary('sleep 1');
    for (const nohang of [1, 'yes', null]) {
      expect(() => waitpid(pid, { nohang } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
    process.kill(pid, 'SIGKILL');
  });

  it.each([
    ['a string', 'nohang', 'ERR_INVALID_ARG_TYPE'],
    ['a number', 1, 'ERR_INVALID_ARG_TYPE'],
    ['an array', [], 'ERR_INVALID_ARG_TYPE'],
  ])('refuses %s as options', (_what, options, code) => {
    expect(() => waitpid(-1, options as never)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['a string', '1', 'ERR_INVALID_ARG_TYPE'],
    ['a fraction', 1.5, 'ERR_OUT_OF_RANGE'],
    ['a pid beyond 32 bits', 2 ** 31, 'ERR_OUT_OF_RANGE'],
  ])('refuses %s as pid', (_what, pid, code) => {
    expect(() => waitpid(pid as never, { nohang: true })).toThrow(expect.objectContaining({ code }));
  });

  const noWait = backendsHere().includes('portable') ? ' (skipped: no native build, so no waitpid)' : '';
  it.skipIf(noWait !== '')(`takes null options as {}, as spawnPrivate and kill() do${noWait}`, () => {
    const pid = ordinary('exit 3');
    expect(waitpid(pid, null as never)).toMatchObject({ pid, exitCode: 3 });
  });
});

/** Runs the workers fixture: the host's waitpid() on the main thread while workers spawn. */
function withWorkers(mode: string, isolation: string): Promise<any> {
  const fixture = path.join(__dirname, '..', 'fixtures', 'waitpid-workers.cjs');
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [fixture, mode, isolation], { timeout: scaled(60_000) }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

// The fixture spawns with the default backend: the portable one in its project, where there is no waitpid.
const noWaitpid = backendsHere().includes('portable') ? ' (skipped: no native build, so no waitpid)' : '';
describe.skipIf(noWaitpid !== '').each(['hidden', 'direct'])(
  `the package's waitpid() while workers spawn (%s)${noWaitpid}`,
  (isolation) => {
    it('a blocking waitpid(-1) returns the ordinary child, never a false ECHILD', async () => {
      const r = await withWorkers('blocking', isolation);
      expect(r.first).toBe(`pid ${r.ordinary} exit 0`);
    });

    it('waitpid(-1, { nohang }) says nothing has exited, never a false ECHILD', async () => {
      const r = await withWorkers('nohang', isolation);
      expect(r.calls).toBeGreaterThan(0);
      expect(r).toMatchObject({ echild: 0, strangers: [], reapedOrdinary: true });
    });

    it('never returns the status of a child that failed before exec', async () => {
      const r = await withWorkers('failing', isolation);
      expect(r.calls).toBeGreaterThan(0);
      expect(r).toMatchObject({ echild: 0, strangers: [], reapedOrdinary: true });
    });
  },
);

/** This process's process group, from /proc/self/stat. */
function ownPgid(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe.each(modesHere())('waitpid() on a process group ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  // Without an addon there is no waitpid; with one, child_process's children look ordinary to it.
  const why = unlessPortable(backend, "its children are child_process's, which waitpid cannot tell from ordinary ones");
  const check = why === '' ? it : it.skip;

  check.each([
    ['0', () => 0],
    ['-pgid', () => -ownPgid()],
  ])(`waitpid(%s) answers ECHILD at once when only private children are in the group${why}`, async (_name, pid) => {
    const h = spawnPrivate('/bin/sleep', ['5'], { backend, isolation, stdio: 'ignore' });
    expect(() => waitpid(pid())).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    // It did not wait for the private child to exit first.
    expect(h.waitNonblock()).toBeNull();
    h.kill('SIGKILL');
    await h.wait();
  });
});
