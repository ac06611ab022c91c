import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { backendsHere, modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { copyForOtherUser, whyNoOtherUser, type OtherUserCopy } from '../helpers/other-user.js';
import { runUnderSeccomp } from '../helpers/seccomp.js';
import { readAll } from '../helpers/stream.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? '' : ' (skipped: dropping privileges needs root)';
const noOtherUser = isRoot ? whyNoOtherUser() : '';
const fixture = path.join(__dirname, '..', 'fixtures', 'identity.cjs');
const dir = mkdtempSync(path.join(tmpdir(), 'pp-identity-'));
chmodSync(dir, 0o777); // the fixture may run as another user
// uid 1000 may not read the checkout: it runs a copy of the package, made once.
let copy: OtherUserCopy | undefined;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  copy?.remove();
});

/** Runs the identity fixture as uid and gid 1000, with setpriv's extra arguments (capabilities). */
function asUser(options: object, marker: string, script: string, setpriv: string[] = []): Promise<any> {
  const c = (copy ??= copyForOtherUser(['identity.cjs']));
  const args = [
    '--reuid=1000',
    '--regid=1000',
    '--clear-groups',
    ...setpriv,
    process.execPath,
    c.fixture('identity.cjs'),
  ];
  return new Promise((resolve, reject) =>
    execFile('setpriv', [...args, JSON.stringify(options), marker, script], { env: c.env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

async function output(file: string, args: string[], options: object): Promise<string> {
  const h = spawnPrivate(file, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
  expect(status.exitCode).toBe(0);
  return out;
}

describe.each(modesHere().filter((m) => m.backend !== 'fallback' && m.backend !== 'portable'))(
  'who the child is ($name)',
  ({ backend, isolation }) => {
    checkNoLeaks();

    it.skipIf(!isRoot)(`runs as uid and gid, with the supplementary groups dropped${needsRoot}`, async () => {
      const out = await output('/bin/sh', ['-c', 'id -u; id -g; id -G; grep ^Groups: /proc/self/status'], {
        backend,
        isolation,
        uid: NOBODY,
        gid: NOBODY,
      });
      expect(out.split('\n').slice(0, 3)).toEqual([`${NOBODY}`, `${NOBODY}`, `${NOBODY}`]);
      expect(out).toMatch(/^Groups:\s*$/m);
    });

    it.skipIf(!isRoot)(`keeps exactly the groups it is given${needsRoot}`, async () => {
      const out = await output('/bin/sh', ['-c', 'grep ^Groups: /proc/self/status'], {
        backend,
        isolation,
        uid: NOBODY,
        gid: NOBODY,
        groups: [4, 20],
      });
      expect(out.trim().split(/\s+/).slice(1)).toEqual(['4', '20']);
    });

    it('sets the umask, from a number or an octal string', async () => {
      expect(await output('/bin/sh', ['-c', 'umask'], { backend, isolation, umask: 0o027 })).toBe('0027\n');
      expect(await output('/bin/sh', ['-c', 'umask'], { backend, isolation, umask: '077' })).toBe('0077\n');
    });

    it.skipIf(!isRoot)(`enters cwd with the new identity's rights: step 'chdir'${needsRoot}`, () => {
      expect(() =>
        spawnPrivate('/bin/true', [], { backend, isolation, uid: NOBODY, gid: NOBODY, cwd: '/root' }),
      ).toThrow(expect.objectContaining({ code: 'EACCES', step: 'chdir' }));
    });

    it.each([
      ['setgroups', 'setgroups=EPERM'],
      ['setgid', 'setresgid=EPERM'],
      ['setuid', 'setresuid=EPERM'],
    ])("fails closed at step '%s' and never runs the program half-changed", async (step, rule) => {
      const marker = path.join(dir, `ran-${step}`);
      // Groups this process does not have: setgroups has a real change to make.
      const options = { backend, isolation, uid: NOBODY, gid: NOBODY, groups: [4, 20] };
      const r = await runUnderSeccomp([rule], fixture, [JSON.stringify(options), marker]);
      expect(JSON.parse(r.stdout)).toEqual({ error: 'EPERM', step });
      expect(existsSync(marker)).toBe(false);
    });
  },
);

describe.each(modesHere().filter((m) => m.backend !== 'fallback' && m.backend !== 'portable'))(
  'an unprivileged parent ($name)',
  ({ backend, isolation }) => {
    it.skipIf(!isRoot || noOtherUser !== '')(
      `may name its own uid and gid, as child_process allows${needsRoot}${noOtherUser}`,
      async () => {
        const r = await asUser(
          { backend, isolation, uid: 1000, gid: 1000 },
          path.join(dir, `self-${isolation}`),
          'id -u; id -g',
        );
        expect(r).toEqual({ out: '1000\n1000\n', code: 0 });
      },
    );

    const noCaps = backend === 'freebsd' ? ' (skipped: FreeBSD has no ambient or inheritable capabilities)' : '';
    it.skipIf(!isRoot || noCaps !== '' || noOtherUser !== '')(
      `hands no ambient or inheritable capability to a child that changes identity${needsRoot}${noCaps}${noOtherUser}`,
      async () => {
        // A daemon given CAP_SETUID and CAP_SETGID as ambient capabilities drops to nobody for a helper.
        const caps = ['--inh-caps=+setuid,+setgid', '--ambient-caps=+setuid,+setgid'];
        const script =
          'grep -E "^Cap(Inh|Amb):" /proc/self/status | tr -d "\t"; setpriv --reuid=0 --regid=0 --clear-groups id -u || echo refused';
        const r = await asUser(
          { backend, isolation, uid: NOBODY, gid: NOBODY },
          path.join(dir, `amb-${isolation}`),
          script,
          caps,
        );
        expect(r.out).toContain('CapInh:0000000000000000');
        expect(r.out).toContain('CapAmb:0000000000000000');
        expect(r.out).toMatch(/refused\n$/); // it cannot become root again
      },
    );
  },
);

// posix_spawn (the fallback backend) and child_process (the portable one) cannot change the identity.
describe.each(['fallback', 'portable'] as const)('the %s backend', (backend) => {
  const why = backendsHere().includes(backend) ? '' : ` (skipped: no ${backend} backend in this run)`;
  it.skipIf(why !== '')(`refuses identity options with ERR_NOT_SUPPORTED${why}`, () => {
    for (const options of [
      { uid: NOBODY },
      { gid: NOBODY },
      { groups: [] },
      { umask: 0o22 },
      { dieWithParent: true },
    ]) {
      expect(() => spawnPrivate('/bin/true', [], { backend, ...options })).toThrow(
        expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }),
      );
    }
  });
});

describe('identity options are checked before anything is spawned', () => {
  it.each([
    [{ uid: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ uid: 'root' }, 'ERR_INVALID_ARG_TYPE'],
    [{ gid: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ groups: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ groups: [1, -2] }, 'ERR_OUT_OF_RANGE'],
    // There is no "unchanged" group: a missing entry is refused, not passed on as (gid_t)-1.
    [{ groups: [null] }, 'ERR_INVALID_ARG_TYPE'],
    [{ groups: [1, , 2] }, 'ERR_INVALID_ARG_TYPE'],
    [{ umask: 0o1000 }, 'ERR_OUT_OF_RANGE'],
    [{ umask: '9' }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: 0 }, 'ERR_INVALID_ARG_VALUE'],
    [{ dieWithParent: {} }, 'ERR_INVALID_ARG_TYPE'],
  ])('rejects %o with %s', (options, code) => {
    expect(() => spawnPrivate('/bin/true', [], options as never)).toThrow(expect.objectContaining({ code }));
  });
});
