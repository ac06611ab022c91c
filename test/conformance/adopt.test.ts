import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { adopt, PrivateHandle, spawnPrivate, waitpid } from '../../esm/index.mjs';
import { pidfdModesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { runUnderSeccomp } from '../helpers/seccomp.js';

describe.each(pidfdModesHere())('adopt() ($name)', ({ backend }) => {
  checkNoLeaks();

  it('gives a ChildProcess a pid-reuse-safe kill(); child_process still reaps it', async () => {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const h = adopt(child, { backend });
    expect(h).toBeInstanceOf(PrivateHandle);
    expect(h.pid).toBe(child.pid);
    expect(h.spawnargs).toEqual(['/bin/sleep', '30']);
    expect(() => h.waitSync()).toThrow(expect.objectContaining({ code: 'ERR_PRIVATE_PROCESS_REAPED_ELSEWHERE' }));
    expect(h.waitNonblock()).toBeNull();
    expect(h.kill('SIGTERM')).toBe(true);
    const [, signal] = await exited; // child_process's 'exit' still comes
    expect(signal).toBe('SIGTERM');
    const s = await h.wait();
    expect(s.signal).toBe('SIGTERM');
    expect(s.resourceUsage).toBeNull();
    expect(h.kill()).toBe(false);
  });

  it('reaps an adopted pid itself, and hides it from waitpid()', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 0.1; exit 6'], { stdio: 'ignore' });
    child.unref(); // its status goes to the handle, so child_process never sees the exit
    const h = adopt(child.pid!, { backend });
    expect(() => waitpid(child.pid!, { nohang: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    const s = await h.wait();
    expect(s.exitCode).toBe(6);
    expect(s.resourceUsage).not.toBeNull();
  });

  it('refuses a pid that is not an unreaped child of this process', () => {
    expect(() => adopt(1, { backend })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect(() => adopt(2 ** 22 + 1, { backend })).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('refuses a child that is already private, and an exited ChildProcess', async () => {
    const h = spawnPrivate('/bin/sleep', ['30'], { backend, isolation: 'direct', stdio: 'ignore' });
    expect(() => adopt(h.pid, { backend })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    // A hidden child is not this process's child at all.
    const hidden = spawnPrivate('/bin/sleep', ['30'], { isolation: 'hidden', stdio: 'ignore' });
    expect(() => adopt(hidden.pid, { backend })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    h.kill('SIGKILL');
    hidden.kill('SIGKILL');
    await Promise.all([h.wait(), hidden.wait()]);
    const child = spawn('/bin/true');
    await once(child, 'exit');
    expect(() => adopt(child, { backend })).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('validates its argument', () => {
    expect(() => adopt('12' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => adopt(-5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('adopt() checks its options before it adopts anything', () => {
  it.each([
    ['an unknown backend', { backend: 'bogus' }, 'ERR_INVALID_ARG_VALUE'],
    ['a backend that is not a name', { backend: 5 }, 'ERR_INVALID_ARG_VALUE'],
    ['options that are a string', 'linux', 'ERR_INVALID_ARG_TYPE'],
    ['options that are an array', [], 'ERR_INVALID_ARG_TYPE'],
  ])('refuses %s', async (_what, options, code) => {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    let adopted: PrivateHandle | undefined;
    try {
      expect(() => (adopted = adopt(child.pid!, options as never))).toThrow(expect.objectContaining({ code }));
    } finally {
      process.kill(child.pid!, 'SIGKILL');
      // A pid adopted by mistake is the handle's to reap, and child_process never sees it exit.
      await (adopted?.wait() ?? exited);
    }
  });
});

describe.each(pidfdModesHere())('adopt() with null options ($name)', () => {
  checkNoLeaks();

  it('takes them as {}, as spawnPrivate and kill() do', async () => {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    child.unref(); // its status goes to the handle
    const h = adopt(child.pid!, null as never);
    expect(h.kill('SIGKILL')).toBe(true);
    expect((await h.wait()).signal).toBe('SIGKILL');
  });
});

it('throws ERR_NOT_SUPPORTED, with the reason, where no backend has process descriptors', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'adopt-unsupported.cjs');
  const r = await runUnderSeccomp(['pidfd_open=ENOSYS', 'pidfd_send_signal=ENOSYS'], fixture, [
    inject('helpers').thief,
  ]);
  const out = JSON.parse(r.stdout);
  expect(out.code).toBe('ERR_NOT_SUPPORTED');
  expect(out.message).toMatch(/pidfd/);
});
