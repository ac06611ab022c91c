import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { capabilities, preloadPath } from '../../esm/index.mjs';
import { runUnderSeccomp } from '../helpers/seccomp.js';
import { scaled, scaledCount } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'shim-theft.cjs');
const CHILDREN = scaledCount(1000);
const noShim = preloadPath === null ? ' (skipped: the preload shim is not built on this platform)' : '';

/** Runs the theft fixture with the shim preloaded (or not), under seccomp rules. */
async function theft(options: { shim: boolean; backend: string; rules?: string[]; mode: string }) {
  // The shim is about direct children: hidden ones are no waitpid's to take in the first place.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PRIVATE_PROCESS_BACKEND: options.backend,
    PRIVATE_PROCESS_ISOLATION: 'direct',
  };
  if (options.shim) env.LD_PRELOAD = preloadPath!;
  else delete env.LD_PRELOAD;
  const r = await runUnderSeccomp(
    options.rules ?? [],
    fixture,
    [inject('helpers').thief, options.mode, String(CHILDREN)],
    {
      env,
      timeout: scaled(120_000),
    },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim());
}

// The four ways a hostile waitpid(-1) meets a private child on this machine.
describe.skipIf(preloadPath === null)(`the preload shim against a hostile waitpid(-1)${noShim}`, () => {
  it.each(['thread', 'sigchld'])(
    `(b) Linux without PIDFD_INFO_EXIT + shim: every status right, from the table (%s thief)`,
    async (mode) => {
      const r = await theft({ shim: true, backend: 'linux', rules: ['ioctl:PIDFD_GET_INFO=ENOTTY'], mode });
      expect(r.shimActive).toBe(true);
      expect(r.pidfdInfoExit).toBe(false);
      expect(r).toMatchObject({ wrong: [], lost: 0, stolenPrivate: 0 });
      // Reaped for their handles, not recovered after a theft: the usage is there.
      expect(r.withRusage).toBe(CHILDREN);
      expect(r.stolenOrdinary).toBeGreaterThan(0);
    },
  );

  it.each(['thread', 'sigchld'])('(c) fallback + shim: every status right (%s thief)', async (mode) => {
    const r = await theft({ shim: true, backend: 'fallback', mode });
    expect(r.shimActive).toBe(true);
    expect(r).toMatchObject({ wrong: [], lost: 0, stolenPrivate: 0, withRusage: CHILDREN });
    expect(r.stolenOrdinary).toBeGreaterThan(0);
  });

  it.each(['thread', 'sigchld'])(
    '(d) fallback without the shim: statuses are lost, every loss says so, none is wrong (%s thief)',
    async (mode) => {
      const r = await theft({ shim: false, backend: 'fallback', mode });
      expect(r.shimActive).toBe(false);
      expect(r.wrong).toEqual([]);
      expect(r.lost).toBeGreaterThan(0);
      expect(r.lost).toBeLessThanOrEqual(r.stolenPrivate);
    },
  );

  // Older kernels: the case (b) above is the one that holds.
  const noInfoExit = capabilities().pidfdInfoExit
    ? ''
    : ` (skipped: this kernel, ${capabilities().kernel}, has no PIDFD_INFO_EXIT, Linux 6.15)`;
  it.skipIf(noInfoExit !== '')(
    `(a) Linux with PIDFD_INFO_EXIT, no shim: every status right, recovered from the kernel${noInfoExit}`,
    async () => {
      const r = await theft({ shim: false, backend: 'linux', mode: 'thread' });
      expect(r.pidfdInfoExit).toBe(true);
      expect(r).toMatchObject({ wrong: [], lost: 0 });
      expect(r.stolenPrivate).toBeGreaterThan(0);
    },
  );
});

describe.skipIf(preloadPath === null)(`child_process beside the shim${noShim}`, () => {
  it('keeps working: exec, spawnSync and exit events, with private children around', async () => {
    const script = `
      const cp = require('node:child_process');
      const { spawnPrivate, capabilities } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'))});
      const mine = spawnPrivate('/bin/sh', ['-c', 'exit 4'], { stdio: 'ignore' });
      const sync = cp.spawnSync('/bin/sh', ['-c', 'echo sync; exit 3'], { encoding: 'utf8' });
      cp.exec('echo async; exit 2', (err, stdout) => {
        cp.spawn('/bin/sh', ['-c', 'exit 5']).on('exit', (code) => {
          mine.wait().then((s) => console.log(JSON.stringify({
            shim: capabilities().shimActive, sync: [sync.status, sync.stdout], exec: [err.code, stdout], exit: code, mine: s.exitCode,
          })));
        });
      });`;
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, LD_PRELOAD: preloadPath! } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(out)).toEqual({ shim: true, sync: [3, 'sync\n'], exec: [2, 'async\n'], exit: 5, mine: 4 });
  });
});

describe.skipIf(preloadPath === null)(`adopt() beside the shim${noShim}`, () => {
  it.each([
    ['', false],
    [', even after a hostile waitpid(-1) in a thread met its exit first', true],
  ])(
    'an adopted ChildProcess still gets its exit from libuv, whose waitpid(pid) passes the shim%s',
    async (_title, withThief) => {
      const script = `
      const cp = require('node:child_process');
      const { adopt, capabilities } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'))});
      const thief = ${withThief} ? require(${JSON.stringify(inject('helpers').thief)}) : null;
      const child = cp.spawn('/bin/sh', ['-c', 'sleep 0.2; exit 6'], { stdio: 'ignore' });
      const h = adopt(child);
      if (thief) thief.startThreadThief();
      child.on('exit', (code) => h.wait().then((s) => {
        if (thief) thief.stopThreadThief();
        // libuv reaped it: no zombie is left behind.
        let state = 'gone';
        try { state = require('node:fs').readFileSync('/proc/' + child.pid + '/stat', 'utf8').split(') ')[1][0]; } catch {}
        console.log(JSON.stringify({ shim: capabilities().shimActive, exit: code, wait: s.exitCode, state }));
      }));`;
      const { execFile } = await import('node:child_process');
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['-e', script],
          { env: { ...process.env, LD_PRELOAD: preloadPath! }, timeout: scaled(30_000) },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      expect(JSON.parse(out)).toEqual({ shim: true, exit: 6, wait: 6, state: 'gone' });
    },
  );
});
