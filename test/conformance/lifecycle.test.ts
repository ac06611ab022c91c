import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PrivateHandle, spawnPrivate } from '../../esm/index.mjs';
import { within } from '../helpers/assert.js';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { blockUntilExited, processState } from '../helpers/process.js';
import { readAll } from '../helpers/stream.js';
import { scaled } from '../helpers/time.mjs';

const loop = path.join(__dirname, '..', 'fixtures', 'loop.cjs');
const dir = mkdtempSync(path.join(tmpdir(), 'pp-lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the loop fixture in a fresh process: its stdout lines and exit code. */
async function runLoop(mode: string, backend: string, isolation: string): Promise<{ lines: string[]; code: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [loop, mode], {
    timeout: 20_000,
    env: { ...process.env, PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: isolation },
  });
  return { lines: stdout.trim().split('\n'), code: 0 };
}

describe.each(modesHere())('the handle’s life ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it("emits 'exit' with the code once reaped, then 'close' once its output streams have closed", async () => {
    const h = spawnPrivate(...sh('echo out; echo err >&2; exit 3'), {
      backend,
      isolation,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: string[] = [];
    h.on('exit', (code, signal) => events.push(`exit ${code} ${signal}`));
    h.stdout.on('close', () => events.push('stdout closed'));
    h.stderr.on('close', () => events.push('stderr closed'));
    const closed = once(h, 'close');
    const [out] = await Promise.all([readAll(h.stdout), readAll(h.stderr)]);
    expect(out).toBe('out\n');
    expect(await closed).toEqual([3, null]);
    expect(events).toContain('exit 3 null');
    expect(events.indexOf('stdout closed')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('stderr closed')).toBeGreaterThanOrEqual(0);
    expect(h.listenerCount('close')).toBe(0);
  });

  it("emits 'spawn', 'exit' and 'close' in ChildProcess's order, 'spawn' on a tick after spawnPrivate returned", async () => {
    const h = spawnPrivate('true', [], { backend, isolation, stdio: 'ignore' });
    const events: string[] = [];
    for (const event of ['spawn', 'exit', 'close']) h.on(event, () => events.push(event));
    const closed = once(h, 'close');
    // The exit is known at once (where waitNonblock() can take it): 'spawn' still comes first.
    expect(blockUntilExited(h.pid)).toBe(true);
    h.waitNonblock();
    expect(events).toEqual([]);
    await within(closed, "'close'");
    expect(events).toEqual(['spawn', 'exit', 'close']);
  });

  // Each writes less than a pipe holds, so the child exits without anyone reading.
  it.each([
    ['1 byte on stdout', 'printf x'],
    ['10000 bytes on stdout', 'head -c 10000 /dev/zero'],
    ['2 bytes on stderr', 'echo e >&2'],
  ])(
    "emits 'close' after 'exit' when nobody reads the output (%s): it is drained once the child has exited",
    async (_, script) => {
      const h = spawnPrivate(...sh(script), { backend, isolation, stdio: ['ignore', 'pipe', 'pipe'] });
      const events: string[] = [];
      h.on('exit', (code) => events.push(`exit ${code}`));
      h.on('close', (code) => events.push(`close ${code}`));
      await within(once(h, 'close'), "'close' with unread output");
      expect(events).toEqual(['exit 0', 'close 0']);
      expect([h.stdout.destroyed, h.stderr.destroyed]).toEqual([true, true]);
    },
  );

  it("an output stream first read from an 'exit' listener still gets the whole output", async () => {
    const h = spawnPrivate(...sh('printf hello'), { backend, isolation, stdio: ['ignore', 'pipe', 'ignore'] });
    const out = new Promise<string>((resolve) => h.once('exit', () => resolve(readAll(h.stdout))));
    expect(await within(out, 'the output read from an exit listener')).toBe('hello');
  });

  it("destroys the parent's end of stdin once the child has exited and its output has closed, as ChildProcess does", async () => {
    const h = spawnPrivate('sleep', ['30'], { backend, isolation });
    const closed = once(h, 'close');
    h.kill();
    await within(closed, "'close' of a killed child whose stdin was never ended");
    expect(h.stdin.destroyed).toBe(true);
    const written = await new Promise<Error | null | undefined>((resolve) => h.stdin.write('late', resolve));
    expect(written).toMatchObject({ code: 'ERR_STREAM_DESTROYED' });
    // checkNoLeaks: not one descriptor of the three pipes is left.
  });

  it("emits 'exit' and 'close' with the signal of a killed child, without pipes", async () => {
    const h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore' });
    const exit = once(h, 'exit');
    const close = once(h, 'close');
    h.kill('SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);
    expect(await close).toEqual([null, 'SIGKILL']);
    expect((await h.wait()).signal).toBe('SIGKILL');
  });

  it('[Symbol.asyncDispose] escalates to SIGKILL for a child that ignores SIGTERM', async () => {
    let handle: PrivateHandle | undefined;
    {
      await using h = spawnPrivate(...sh('trap "" TERM; echo ready; exec sleep 30'), {
        backend,
        stdio: ['ignore', 'pipe', 'ignore'],
        killGraceMs: 50,
      });
      handle = h;
      await once(h.stdout, 'data');
    }
    expect(handle.status?.signal).toBe('SIGKILL');
  });

  it('[Symbol.dispose] escalates to SIGKILL too, while this process runs', async () => {
    let handle: PrivateHandle | undefined;
    {
      using h = spawnPrivate(...sh('trap "" TERM; echo ready; exec sleep 30'), {
        backend,
        stdio: ['ignore', 'pipe', 'ignore'],
        killGraceMs: 50,
      });
      handle = h;
      await once(h.stdout, 'data');
    }
    expect((await handle.wait()).signal).toBe('SIGKILL');
  });

  it('[Symbol.asyncDispose] keeps the process alive until the child is reaped, after unref() and an earlier wait() too', async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'dispose-unref.cjs');
    const env = { ...process.env, PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: isolation };
    const ready = path.join(dir, `dispose-unref-${backend}-${isolation}`);
    const { stdout } = await promisify(execFile)(process.execPath, [fixture, ready], { env, timeout: scaled(20_000) });
    const [pid, status] = stdout.trim().split('\n');
    try {
      expect(status).toBe(`pid ${pid} SIGKILL (signal 9)`);
    } finally {
      // Left running when this process ended in the middle of the dispose.
      if (processState(Number(pid)) !== null) process.kill(Number(pid), 'SIGKILL');
    }
  });

  it('[Symbol.asyncDispose] uses killSignal, and leaves an exited child alone', async () => {
    let handle: PrivateHandle | undefined;
    {
      await using h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore', killSignal: 'SIGINT' });
      handle = h;
    }
    expect(handle.status?.signal).toBe('SIGINT');
    await handle[Symbol.asyncDispose]();
    expect(handle.status?.signal).toBe('SIGINT');
  });

  it.each([
    ['close()', 'close', 'exit 4'],
    ['[Symbol.dispose]()', 'dispose', 'SIGTERM'],
  ])('a wait() pending after %s keeps the process alive until the child ends', async (_, mode, ending) => {
    const { lines } = await runLoop(mode, backend, isolation);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(`pid ${lines[0]} ${ending}${ending === 'SIGTERM' ? ' (signal 15)' : ''}`);
  });

  it('a wait() pending after unref() lets the process end, as a pending ChildProcess exit does', async () => {
    const { lines } = await runLoop('unref', backend, isolation);
    expect(lines).toHaveLength(1);
    const pid = Number(lines[0]);
    expect(() => process.kill(pid, 0)).not.toThrow(); // it outlived the script, reparented
    process.kill(pid, 'SIGKILL');
  });
});

describe('what a handle does not let its users do', () => {
  it('has no member that delivers a status or marks the handle', () => {
    const h = spawnPrivate('/bin/true', [], { stdio: 'ignore' });
    for (const name of ['_exited', '_onSettle', '_reapedElsewhere', 'settle', 'onSettle']) {
      expect(name in h).toBe(false);
    }
    expect(Object.getOwnPropertySymbols(Object.getPrototypeOf(h))).toEqual([Symbol.dispose, Symbol.asyncDispose]);
    return h.wait();
  });

  it('cannot be constructed: handles come from spawnPrivate, runPrivate and adopt', () => {
    const Ctor = PrivateHandle as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor({}, 1, [], 'x', ['x'])).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }),
    );
  });
});
