import { spawnSync } from 'node:child_process';
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

/** The outcome of a process run by `run`: its exit, or the signal a hung one was stopped with. */
interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program with `preload` in LD_PRELOAD (and `env` on top of this process's); one still
 * running after timeoutMs is SIGKILLed (a process deadlocked in the shim may have every signal
 * blocked). Never rejects.
 */
async function run(file: string, args: string[], preload: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}) {
  const { execFile } = await import('node:child_process');
  return new Promise<Outcome>((resolve) =>
    execFile(
      file,
      args,
      {
        env: { ...process.env, ...env, LD_PRELOAD: preload.join(' ') },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        const code = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
        resolve({ code, signal: e?.signal ?? null, stdout, stderr });
      },
    ),
  );
}

/** The title suffix that skips a test needing `program` where it does not run here; '' where it does. */
function unlessInstalled(program: string): string {
  return spawnSync(program, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0
    ? ''
    : ` (skipped: ${program} is not installed)`;
}

const dist = path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js');

describe.skipIf(preloadPath === null)(`the shim in fork children${noShim}`, () => {
  // A fork child of a multithreaded process may call waitpid (it is async-signal-safe). The table
  // lock is held across whole spawns, so a fork often copies it held by a thread the child lacks.
  it.each([
    ['each fork made while another thread holds the table lock', 'locked'],
    ['the forks racing private spawns', 'spawning'],
  ])(
    "a fork child's waitpid(-1) answers at once, and its table lists none of its parent's children: 100 forks, %s",
    async (_title, mode) => {
      const fixture = path.join(__dirname, '..', 'fixtures', 'shim-fork.cjs');
      const r = await run(
        process.execPath,
        [fixture, inject('helpers').forker, '100', mode, String(scaled(3000))],
        [preloadPath!],
        scaled(50_000),
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ shimActive: true, forks: 100, hung: 0, wrong: 0 });
    },
  );
});

describe.skipIf(preloadPath === null)(
  `a preloaded library that waits before the shim's constructor ran${noShim}`,
  () => {
    // early-reaper.so's constructor runs first and returns only once its thread's waitpid(-1) has:
    // that wait reaches the shim before the shim's constructor, at every start.
    it('every start runs to its end, and so do its children, which inherit both (20 starts)', async () => {
      const script = `
      const P = require(${JSON.stringify(dist)});
      P.spawnPrivate('/bin/true', [], { stdio: 'ignore' }).wait().then((s) => {
        console.log(JSON.stringify({ shim: P.capabilities().shimActive, exit: s.exitCode }));
        process.exit(0);
      });`;
      const preload = [preloadPath!, inject('helpers').earlyReaper];
      for (let i = 0; i < 20; i++) {
        const r = await run(process.execPath, ['-e', script], preload, scaled(10_000));
        expect({ start: i, code: r.code, signal: r.signal, stdout: r.stdout.trim() }).toEqual({
          start: i,
          code: 0,
          signal: null,
          stdout: '{"shim":true,"exit":0}',
        });
      }
    });
  },
);

describe.skipIf(preloadPath === null)(`tracers under the shim${noShim}`, () => {
  it("a tracer gets the kernel's own status words: ptrace event stops, stops, continues, exits", async () => {
    const tracer = inject('helpers').tracer;
    const without = await run(tracer, [], [], scaled(20_000));
    const under = await run(tracer, [], [preloadPath!], scaled(20_000));
    expect(without.code).toBe(0);
    expect(under.code).toBe(0);
    expect(JSON.parse(under.stdout)).toEqual({
      // Initial stop, fork event (SIGTRAP | PTRACE_EVENT_FORK << 8), SIGCHLD, exec event, exit event, exit 0.
      child: ['0x137f', '0x1057f', '0x117f', '0x4057f', '0x6057f', '0x0'],
      grandchild: ['0x137f', '0x6057f', '0x500'],
      jobControl: ['0x137f', '0xffff', '0x300'],
    });
    expect(under.stdout).toBe(without.stdout);
  });

  // gdb hangs with the sanitizer runtime preloaded into it and its inferior, shim or not.
  const noGdb = process.env.PP_SANITIZE_RUNTIME
    ? ' (skipped: gdb does not run with the sanitizer runtime preloaded)'
    : unlessInstalled('gdb');
  it.skipIf(noGdb !== '')(
    `gdb runs a program that forks to its end under the shim inherited from a shimmed node${noGdb}`,
    async () => {
      const gdb = ['-q', '-batch', '-ex', 'run', '--args', '/bin/sh', '-c', '/bin/true; echo from-sh'];
      const script = `
      const out = require('node:child_process').execFileSync('gdb', ${JSON.stringify(gdb)}, { encoding: 'utf8' });
      console.log(JSON.stringify({ shim: require(${JSON.stringify(dist)}).capabilities().shimActive, out }));`;
      const r = await run(process.execPath, ['-e', script], [preloadPath!], scaled(60_000));
      expect(r.code).toBe(0);
      const { shim, out } = JSON.parse(r.stdout);
      expect(shim).toBe(true);
      expect(out).toContain('from-sh');
      expect(out).toMatch(/\[Inferior 1 \(process \d+\) exited normally\]/);
      expect(out).not.toContain('SIGTRAP');
    },
  );

  const noStrace = unlessInstalled('strace');
  it.skipIf(noStrace !== '')(`strace -f sees no signal that was not sent, under the shim${noStrace}`, async () => {
    const r = await run(
      'strace',
      ['-f', '-e', 'trace=none', 'sh', '-c', '/bin/true; /bin/true'],
      [preloadPath!],
      scaled(30_000),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('SIGTRAP');
    expect(r.stderr).toContain('+++ exited with 0 +++');
  });
});

describe.skipIf(preloadPath === null)(
  `the shim where /proc has no children lists (CONFIG_PROC_CHILDREN)${noShim}`,
  () => {
    // no-proc-children.so makes /proc/PID/task/TID/children missing, as such a kernel does.
    it.each(['linux', 'fallback'])(
      'a foreign waitpid(-1) answers ECHILD at once when only private children are left (%s)',
      async (backend) => {
        const fixture = path.join(__dirname, '..', 'fixtures', 'only-private-left.cjs');
        const preload = [inject('helpers').noProcChildren, preloadPath!];
        const env = { PRIVATE_PROCESS_BACKEND: backend, PRIVATE_PROCESS_ISOLATION: 'direct' };
        const r = await run(process.execPath, [fixture, 'raw', inject('helpers').thief], preload, scaled(30_000), env);
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toEqual({ answer: 'ECHILD', stillRunning: true, shimActive: true });
      },
    );
  },
);
