import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pp-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spawnError(fn: () => unknown): NodeJS.ErrnoException & { step: string; spawnargs: string[]; path: string } {
  try {
    fn();
  } catch (err) {
    return err as never;
  }
  throw new Error('expected spawnPrivate to throw');
}

describe.each(modesHere())('spawn failures ($name)', ({ backend, isolation }) => {
  const shell = unlessPortable(backend, "libuv's execvp runs a file without #! through /bin/sh");
  checkNoLeaks();

  it('throws ENOENT synchronously, shaped like Node’s spawn errors', () => {
    const err = spawnError(() => spawnPrivate('no-such-command-here', ['a', 'b'], { backend, isolation }));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('spawn no-such-command-here');
    expect(err.path).toBe('no-such-command-here');
    expect(err.spawnargs).toEqual(['no-such-command-here', 'a', 'b']);
    expect(err.step).toBe('execve');
  });

  it('throws EACCES for a file that is not executable', () => {
    const file = path.join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const err = spawnError(() => spawnPrivate(file, [], { backend, isolation }));
    expect(err.code).toBe('EACCES');
    expect(err.step).toBe('execve');
  });

  it('keeps EACCES from one PATH entry when the others do not have the file', () => {
    const file = path.join(dir, 'tool');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const err = spawnError(() =>
      spawnPrivate('tool', [], { backend, isolation, env: { PATH: `/nonexistent:${dir}:/bin` } }),
    );
    expect(err.code).toBe('EACCES');
  });

  it.skipIf(shell !== '')(`never runs a file without a #! line through a shell: ENOEXEC${shell}`, () => {
    const file = path.join(dir, 'no-shebang');
    writeFileSync(file, 'exit 0\n');
    chmodSync(file, 0o755);
    const err = spawnError(() => spawnPrivate(file, [], { backend, isolation }));
    expect(err.code).toBe('ENOEXEC');
    expect(err.errno).toBe(-8);
    expect(err.step).toBe('execve');
    expect(err.message).toBe(`spawn ${file} ENOEXEC: exec format error (at execve)`);
  });

  it("reports a bad cwd at the 'chdir' step", () => {
    const err = spawnError(() => spawnPrivate('/bin/true', [], { backend, isolation, cwd: path.join(dir, 'missing') }));
    expect(err.code).toBe('ENOENT');
    expect(err.step).toBe('chdir');
  });

  it("reports a closed stdio fd at the 'dup2' step", () => {
    const err = spawnError(() =>
      spawnPrivate('/bin/true', [], { backend, isolation, stdio: ['ignore', 'ignore', 'ignore', 999] }),
    );
    expect(err.code).toBe('EBADF');
    expect(err.step).toBe('dup2');
  });
});

describe('argument validation, before anything is spawned', () => {
  it.each([
    ['a non-string file', () => spawnPrivate(42 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['an empty file', () => spawnPrivate(''), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['a NUL byte in file', () => spawnPrivate('/bin/tr\0ue'), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['args that are not an array', () => spawnPrivate('/bin/true', 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['a non-string arg', () => spawnPrivate('/bin/true', [{} as never]), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['a NUL byte in an arg', () => spawnPrivate('/bin/true', ['a\0b']), 'ERR_INVALID_ARG_VALUE', TypeError],
    [
      'a NUL byte in env',
      () => spawnPrivate('/bin/true', [], { env: { A: 'x\0y' } }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    ['a NUL byte in cwd', () => spawnPrivate('/bin/true', [], { cwd: '/t\0mp' }), 'ERR_INVALID_ARG_VALUE', TypeError],
    [
      'a negative fd',
      () => spawnPrivate('/bin/true', [], { stdio: [-1, 'pipe', 'pipe'] }),
      'ERR_OUT_OF_RANGE',
      RangeError,
    ],
    [
      'an unknown stdio word',
      () => spawnPrivate('/bin/true', [], { stdio: 'pty' as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'an unknown kill signal',
      () => spawnPrivate('/bin/true', [], { killSignal: 'SIGNOPE' as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    ['a kill signal of 0', () => spawnPrivate('/bin/true', [], { killSignal: 0 }), 'ERR_INVALID_ARG_VALUE', TypeError],
    [
      'an unknown backend',
      () => spawnPrivate('/bin/true', [], { backend: 'magic' as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    ['a negative timeout', () => spawnPrivate('/bin/true', [], { timeout: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    [
      'a non-AbortSignal signal',
      () => spawnPrivate('/bin/true', [], { signal: {} as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
  ])('rejects %s', (_what, fn, code, type) => {
    expect(fn).toThrow(type as ErrorConstructor);
    expect(spawnError(fn).code).toBe(code);
  });

  it('rejects an unknown signal name in kill() without signalling', async () => {
    const h = spawnPrivate('/bin/sleep', ['5'], { stdio: 'ignore' });
    expect(() => h.kill('SIGNOPE' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    h.kill('SIGKILL');
    expect((await h.wait()).signal).toBe('SIGKILL');
  });
});
