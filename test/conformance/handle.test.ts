import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as esm from '../../esm/index.mjs';
import { within } from '../helpers/assert.js';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { blockUntilExited } from '../helpers/process.js';
import { readAll } from '../helpers/stream.js';
import { scaled } from '../helpers/time.mjs';

const { spawnPrivate, forkPrivate, PrivateHandle } = esm;

describe.each(modesHere())('PrivateHandle ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('names its backend, pid and command', async () => {
    const h = spawnPrivate('/bin/true', [], { backend, isolation, stdio: 'ignore' });
    expect(h).toBeInstanceOf(PrivateHandle);
    // One name per backend: the option's, capabilities()'s and the handle's.
    expect(h.backend).toBe(backend);
    expect(h.isolation).toBe(isolation);
    expect(h.spawnfile).toBe('/bin/true');
    expect(h.spawnargs).toEqual(['/bin/true']);
    expect(h.toString()).toBe(`PrivateHandle pid ${h.pid} (running)`);
    const s = await h.wait();
    expect(h.toString()).toBe(`PrivateHandle pid ${h.pid} (pid ${h.pid} exit 0)`);
    expect(s.toString()).toBe(`pid ${h.pid} exit 0`);
  });

  it('kill() signals the running child, then returns false once it is reaped, as ChildProcess does', async () => {
    const h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore' });
    expect(h.kill(0)).toBe(true);
    expect(h.kill('SIGUSR1')).toBe(true);
    const s = await h.wait();
    expect(s.signal).toBe('SIGUSR1');
    expect(h.kill()).toBe(false);
    expect(h.kill(0)).toBe(false);
    expect(() => h.kill('SIGNOPE' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  /**
   * Lets a child exit while the event loop is kept busy, so that `call` is the first to learn of
   * it, and checks that the call emits nothing itself: 'exit' then 'close' come on later ticks.
   */
  async function exitSeenBy(call: 'kill' | 'waitNonblock' | 'waitSync'): Promise<void> {
    const h = spawnPrivate('true', [], { backend, isolation, stdio: 'ignore' });
    const seen: string[] = [];
    h.on('exit', (code) => seen.push(`exit ${code}`));
    h.on('close', (code) => seen.push(`close ${code}`));
    const closed = once(h, 'close');
    expect(blockUntilExited(h.pid)).toBe(true);
    h[call]();
    expect(seen).toEqual([]);
    await within(closed, `'close' after ${call}()`);
    expect(seen).toEqual(['exit 0', 'close 0']);
    // The usual shutdown idiom: a listener attached after the call still gets 'exit'.
    const late = spawnPrivate('true', [], { backend, isolation, stdio: 'ignore' });
    expect(blockUntilExited(late.pid)).toBe(true);
    late[call]();
    expect(await within(once(late, 'exit'), `'exit' after ${call}()`)).toEqual([0, null]);
  }

  it.each(['kill', 'waitNonblock'] as const)(
    "%s() on a child that has exited unseen emits nothing from inside the call: 'exit' then 'close' come later",
    exitSeenBy,
  );

  const blocking = unlessPortable(backend, 'waitSync() cannot block for the exit');
  it.skipIf(blocking !== '')(`waitSync() emits nothing from inside the call either${blocking}`, () =>
    exitSeenBy('waitSync'),
  );

  it.each(['loop', 'kill', 'waitNonblock'])(
    "an exception thrown by an 'exit' or 'close' listener reaches 'uncaughtException' (exit seen by %s)",
    async (how) => {
      const fixture = path.join(__dirname, '..', 'fixtures', 'throwing-listener.cjs');
      const env = { ...process.env, PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: isolation };
      const { stdout } = await promisify(execFile)(process.execPath, [fixture, how], { env, timeout: scaled(20_000) });
      expect(JSON.parse(stdout)).toMatchObject({ threw: null, uncaught: ['FROM_EXIT', 'FROM_CLOSE'] });
    },
  );

  it('does not keep the event loop alive once unref’d', async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'unref.cjs');
    const { stdout } = await promisify(execFile)(process.execPath, [fixture], { timeout: scaled(20_000) });
    const pid = Number(stdout.trim());
    // The script ended while its child still ran (it was reparented when we exited).
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(pid, 'SIGKILL');
  });

  it('[Symbol.dispose] terminates a running child and releases its streams', async () => {
    let handle: InstanceType<typeof PrivateHandle> | undefined;
    {
      using h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation });
      handle = h;
    }
    const s = await handle.wait();
    expect(s.signal).toBe('SIGTERM');
    expect(handle.stdout!.destroyed).toBe(true);
  });

  it('[Symbol.asyncDispose] terminates and waits', async () => {
    let handle: InstanceType<typeof PrivateHandle> | undefined;
    {
      await using h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore' });
      handle = h;
    }
    expect(handle.status?.signal).toBe('SIGTERM');
  });

  it('kills the child with killSignal when the AbortSignal aborts', async () => {
    const controller = new AbortController();
    const h = spawnPrivate('/bin/sleep', ['30'], {
      backend,
      isolation,
      stdio: 'ignore',
      signal: controller.signal,
      killSignal: 'SIGKILL',
    });
    controller.abort();
    expect((await h.wait()).signal).toBe('SIGKILL');
  });

  it('kills the child when the timeout passes', async () => {
    const h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore', timeout: 50 });
    expect((await h.wait()).signal).toBe('SIGTERM');
  });

  it('forkPrivate runs a Node.js module as a private child', async () => {
    const h = forkPrivate(path.join(__dirname, '..', 'fixtures', 'hello.cjs'), ['a'], {
      backend,
      isolation,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out, s] = await Promise.all([readAll(h.stdout), h.wait()]);
    expect(JSON.parse(out)).toEqual({ hello: true, args: ['a'] });
    expect(s.success).toBe(true);
  });
});

describe('module formats', () => {
  it('exports every name of the CommonJS build from the ES module, and the module itself as default', async () => {
    const cjs = createRequire(import.meta.url)('private-process') as Record<string, unknown>;
    const imported = (await import('private-process')) as Record<string, unknown>;
    for (const name of Object.keys(cjs)) expect([name, imported[name]]).toEqual([name, cjs[name]]);
    expect(imported.default).toBe(cjs);
  });

  it('gives the same classes and functions through require() and import', async () => {
    const cjs = createRequire(import.meta.url)('private-process');
    expect(cjs.spawnPrivate).toBe(esm.spawnPrivate);
    expect(cjs.PrivateHandle).toBe(esm.PrivateHandle);
    const imported = await import('private-process');
    expect(imported.spawnPrivate).toBe(esm.spawnPrivate);
    const s = await cjs.spawnPrivate(...sh('exit 2'), { stdio: 'ignore' }).wait();
    expect(s).toBeInstanceOf(esm.ProcessStatus);
  });
});
