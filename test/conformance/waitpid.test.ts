import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnPrivate, waitpid } from '../../esm/index.mjs';
import { backendsHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';

function isZombie(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Blocks the thread until every pid is a zombie: nothing can reap meanwhile. */
function untilZombies(...pids: number[]): void {
  const stop = Date.now() + 10_000;
  while (!pids.every(isZombie)) {
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

describe.each(backendsHere())("the package's waitpid() (%s backend)", (backend) => {
  checkNoLeaks();

  it('reaps an ordinary child by pid', () => {
    const pid = ordinary('exit 4');
    const s = waitpid(pid)!;
    expect(s.pid).toBe(pid);
    expect(s.exitCode).toBe(4);
  });

  it('returns ordinary children from waitpid(-1), never a private one', async () => {
    const h = spawnPrivate(...sh('exit 5'), { backend, stdio: 'ignore' });
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

  it('answers ECHILD for a private pid, even once it has exited', async () => {
    const h = spawnPrivate(...sh('exit 7'), { backend, stdio: 'ignore' });
    expect(() => waitpid(h.pid, { nohang: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    untilZombies(h.pid);
    expect(() => waitpid(h.pid)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect((await h.wait()).exitCode).toBe(7);
  });

  it('does not block when only private children are left', async () => {
    const h = spawnPrivate('/bin/sleep', ['0.2'], { backend, stdio: 'ignore' });
    expect(() => waitpid(-1)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect((await h.wait()).exitCode).toBe(0);
  });

  it('blocks for an ordinary child while private ones exit meanwhile', async () => {
    const handles = Array.from({ length: 5 }, (_, i) =>
      spawnPrivate(...sh(`exit ${10 + i}`), { backend, stdio: 'ignore' }),
    );
    const pid = ordinary('sleep 0.3; exit 9');
    const s = waitpid(-1)!;
    expect(s.pid).toBe(pid);
    expect(s.exitCode).toBe(9);
    const codes = await Promise.all(handles.map(async (h) => (await h.wait()).exitCode));
    expect(codes).toEqual([10, 11, 12, 13, 14]);
  });

  it('returns null with nohang while an ordinary child runs', () => {
    const pid = ordinary('sleep 0.2; exit 1');
    expect(waitpid(-1, { nohang: true })).toBeNull();
    expect(waitpid(pid)!.exitCode).toBe(1);
  });
});
