import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { backendsHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { runUnderSeccomp } from '../helpers/seccomp.js';
import { readAll } from '../helpers/stream.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? '' : ' (skipped: dropping privileges needs root)';
const fixture = path.join(__dirname, '..', 'fixtures', 'identity.cjs');
const dir = mkdtempSync(path.join(tmpdir(), 'pp-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function output(file: string, args: string[], options: object): Promise<string> {
  const h = spawnPrivate(file, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
  expect(status.exitCode).toBe(0);
  return out;
}

describe.each(backendsHere().filter((b) => b !== 'fallback'))('who the child is (%s backend)', (backend) => {
  checkNoLeaks();

  it.skipIf(!isRoot)(`runs as uid and gid, with the supplementary groups dropped${needsRoot}`, async () => {
    const out = await output('/bin/sh', ['-c', 'id -u; id -g; id -G; grep ^Groups: /proc/self/status'], {
      backend,
      uid: NOBODY,
      gid: NOBODY,
    });
    expect(out.split('\n').slice(0, 3)).toEqual([`${NOBODY}`, `${NOBODY}`, `${NOBODY}`]);
    expect(out).toMatch(/^Groups:\s*$/m);
  });

  it.skipIf(!isRoot)(`keeps exactly the groups it is given${needsRoot}`, async () => {
    const out = await output('/bin/sh', ['-c', 'grep ^Groups: /proc/self/status'], {
      backend,
      uid: NOBODY,
      gid: NOBODY,
      groups: [4, 20],
    });
    expect(out.trim().split(/\s+/).slice(1)).toEqual(['4', '20']);
  });

  it('sets the umask, from a number or an octal string', async () => {
    expect(await output('/bin/sh', ['-c', 'umask'], { backend, umask: 0o027 })).toBe('0027\n');
    expect(await output('/bin/sh', ['-c', 'umask'], { backend, umask: '077' })).toBe('0077\n');
  });

  it.skipIf(!isRoot)(`enters cwd with the new identity's rights: step 'chdir'${needsRoot}`, () => {
    expect(() => spawnPrivate('/bin/true', [], { backend, uid: NOBODY, gid: NOBODY, cwd: '/root' })).toThrow(
      expect.objectContaining({ code: 'EACCES', step: 'chdir' }),
    );
  });

  it.each([
    ['setgroups', 'setgroups=EPERM'],
    ['setgid', 'setresgid=EPERM'],
    ['setuid', 'setresuid=EPERM'],
  ])("fails closed at step '%s' and never runs the program half-changed", async (step, rule) => {
    const marker = path.join(dir, `ran-${step}`);
    const r = await runUnderSeccomp([rule], fixture, [JSON.stringify({ backend, uid: NOBODY, gid: NOBODY }), marker]);
    expect(JSON.parse(r.stdout)).toEqual({ error: 'EPERM', step });
    expect(existsSync(marker)).toBe(false);
  });
});

// posix_spawn, which the fallback backend is built on, cannot change the identity.
it.skipIf(!backendsHere().includes('fallback'))(
  `the fallback backend refuses identity options with ERR_NOT_SUPPORTED${backendsHere().includes('fallback') ? '' : ' (skipped: no fallback backend here)'}`,
  () => {
    for (const options of [
      { uid: NOBODY },
      { gid: NOBODY },
      { groups: [] },
      { umask: 0o22 },
      { dieWithParent: true },
    ]) {
      expect(() => spawnPrivate('/bin/true', [], { backend: 'fallback', ...options })).toThrow(
        expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }),
      );
    }
  },
);

describe('identity options are checked before anything is spawned', () => {
  it.each([
    [{ uid: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ uid: 'root' }, 'ERR_INVALID_ARG_TYPE'],
    [{ gid: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ groups: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ groups: [1, -2] }, 'ERR_OUT_OF_RANGE'],
    [{ umask: 0o1000 }, 'ERR_OUT_OF_RANGE'],
    [{ umask: '9' }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: 0 }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: {} }, 'ERR_INVALID_ARG_TYPE'],
  ])('rejects %o with %s', (options, code) => {
    expect(() => spawnPrivate('/bin/true', [], options as never)).toThrow(expect.objectContaining({ code }));
  });
});
