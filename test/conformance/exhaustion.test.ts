import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnPrivate, type PrivateHandle } from '../../esm/index.mjs';
import { tableCount } from '../../dist/cjs/testing.js';
import { modesHere, unlessBackend } from '../helpers/backends.js';
import { checkNoLeaks, sh, untilAllReaped } from '../helpers/children.js';
import { devNullFds, forgetSharedDevNull, openFds, zombieChildren } from '../helpers/leaks.js';
import { processState, untilGone } from '../helpers/process.js';
import { scaled } from '../helpers/time.mjs';

const repo = path.join(__dirname, '..', '..');
const gypBuild = createRequire(__filename)('node-gyp-build') as { path(dir: string): string };
const fixtures = path.join(__dirname, '..', 'fixtures');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Limits is the test addon of test/helpers/native/limits.c. */
interface Limits {
  getrlimit(name: 'nofile' | 'nproc'): [number, number];
  setrlimit(name: 'nofile' | 'nproc', soft: number, hard: number): void;
  refuseInThisThread(syscalls: string[], errno: number): void;
}
const limits = (): Limits => createRequire(__filename)(inject('helpers').limits) as Limits;

/** Spawn errors of a refused resource: the errno, and the step of the set-up that met it. */
function failure(fn: () => PrivateHandle): { code?: string; errno?: number; step?: string } | PrivateHandle {
  try {
    return fn();
  } catch (err) {
    const { code, errno, step } = err as NodeJS.ErrnoException & { step: string };
    return { code, errno, step };
  }
}

/** Runs a child to its end, its stdio streams closed at once; resolves with its exit code. */
async function exitCode(h: PrivateHandle): Promise<number | null> {
  for (const s of h.stdio) s?.destroy();
  return (await h.wait()).exitCode;
}

const IN_FLIGHT = 1000;

describe.each(modesHere())('load and exhaustion ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it(`keeps ${IN_FLIGHT} children in flight on one event loop, and gets every status`, async () => {
    // Each child holds its stdin pipe and, with pidfds, a pidfd: raise the descriptor limit to fit.
    const [soft, hard] = limits().getrlimit('nofile');
    const need = 2 * IN_FLIGHT + 256;
    if (soft !== -1 && soft < need) limits().setrlimit('nofile', hard === -1 ? need : Math.min(need, hard), hard);
    try {
      const handles = Array.from({ length: IN_FLIGHT }, (_, i) =>
        spawnPrivate(...sh(`read x; exit ${i % 256}`), { backend, isolation, stdio: ['pipe', 'ignore', 'ignore'] }),
      );
      // Every one is running at once: each waits for its stdin to close.
      expect(handles.filter((h) => processState(h.pid) === null || h.status !== null)).toEqual([]);
      expect(tableCount()).toBe(IN_FLIGHT);
      for (const h of handles) h.stdin!.end();
      const codes = await Promise.all(handles.map(async (h) => (await h.wait()).exitCode));
      expect(codes).toEqual(handles.map((_, i) => i % 256));
      expect(tableCount()).toBe(0);
    } finally {
      limits().setrlimit('nofile', soft, hard);
    }
  });

  it('EMFILE at every point of a spawn: a clean error with its step, nothing left behind, then a spawn that works', async () => {
    const [soft, hard] = limits().getrlimit('nofile');
    const used = new Set(openFds());
    const free: number[] = [];
    for (let fd = 0; free.length < 16; fd++) if (!used.has(fd)) free.push(fd);
    const failures: Array<{ code?: string; errno?: number; step?: string }> = [];
    for (const limit of free) {
      const before = openFds();
      // Nothing else runs while the limit is down: the spawn is synchronous.
      limits().setrlimit('nofile', limit, hard);
      const r = failure(() => spawnPrivate(...sh('exit 3'), { backend, isolation, stdio: ['pipe', 'pipe', 'pipe'] }));
      limits().setrlimit('nofile', soft, hard);
      if ('pid' in r) {
        expect(await exitCode(r)).toBe(3);
        // The loop closes the pidfd once it has stopped watching it, a turn later.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      } else {
        failures.push(r);
        expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
      }
      expect(zombieChildren()).toEqual([]);
      expect(tableCount()).toBe(0);
    }
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f).toMatchObject({ code: 'EMFILE', errno: -constants.errno.EMFILE });
    // Where the descriptor ran out: the stdio pipes (in this process, before any step of the child),
    // the pidfd (of the child, or of a hidden child's intermediate), or in the child.
    for (const f of failures)
      expect(['stdio', 'clone', 'intermediate', 'dup2', 'close_fds', 'execve']).toContain(f.step);
    expect(await exitCode(spawnPrivate(...sh('exit 4'), { backend, isolation, stdio: 'pipe' }))).toBe(4);
  });

  it('reaps the children whose handles were dropped without a wait and garbage-collected: no zombie', async () => {
    const pids: number[] = [];
    (() => {
      for (let i = 0; i < 100; i++) {
        const h = spawnPrivate(...sh(i % 2 ? 'exit 0' : 'sleep 0.05'), {
          backend,
          isolation,
          stdio: i % 3 ? 'ignore' : 'pipe',
        });
        if (i % 4 === 0) h.unref();
        if (i % 3 === 0) for (const s of h.stdio) s?.destroy();
        pids.push(h.pid);
      }
    })();
    gc();
    await untilAllReaped();
    for (const pid of pids) expect(processState(pid)).toBeNull();
  });

  it('leaves no child behind when a worker is torn down with children running (its addon instance goes away)', async () => {
    const worker = new Worker(path.join(fixtures, 'worker-many.cjs'), {
      workerData: { backend, isolation, count: 40 },
    });
    const [pids] = (await once(worker, 'message')) as [number[]];
    await worker.terminate();
    for (const pid of pids) {
      const gone = await untilGone(pid);
      if (!gone) process.kill(pid, 'SIGKILL');
      expect(gone).toBe(true);
    }
    await untilAllReaped();
  });
});

describe('a system-wide shortage of descriptors (ENFILE, refused in one thread by a seccomp filter)', () => {
  checkNoLeaks();
  beforeAll(async () => {
    // The first worker of a process leaves descriptors of Node's own for good: start one first.
    await new Worker('', { eval: true }).terminate();
  });

  const cases = [
    { refuse: ['pipe2'], stdio: 'pipe', where: 'the stdio pipes' },
    { refuse: ['socketpair'], stdio: ['ignore', 'ignore', 'ignore', 'pipe'], where: 'a socket pair for fd 3' },
    { refuse: ['openat'], stdio: 'ignore', where: '/dev/null for ignore' },
    { refuse: ['clone3', 'clone'], stdio: 'ignore', where: 'the clone and its pidfd' },
  ];
  it.each(cases)('$where: ENFILE with a step, nothing left behind, then a spawn that works', async (c) => {
    const before = openFds();
    const nullsBefore = devNullFds().length;
    // /dev/null is opened once per process: refusing its open only shows once it must be reopened.
    if (c.refuse.includes('openat')) forgetSharedDevNull();
    const worker = new Worker(path.join(fixtures, 'refuse-worker.cjs'), {
      workerData: {
        limitsPath: inject('helpers').limits,
        refuse: c.refuse,
        errno: constants.errno.ENFILE,
        modes: modesHere(),
        stdio: c.stdio,
      },
    });
    const [results] = (await once(worker, 'message')) as [Array<Record<string, unknown>>];
    await worker.terminate();
    for (const r of results) {
      expect(r).toMatchObject({ code: 'ENFILE', errno: -constants.errno.ENFILE });
      expect(['stdio', 'clone', 'intermediate', 'execve']).toContain(r.step);
      if (c.where !== 'the clone and its pidfd') expect(r.step).toBe('stdio');
      if (r.name === 'linux-direct' && c.refuse.includes('clone3')) expect(r.step).toBe('clone');
      if (r.name === 'linux-hidden' && c.refuse.includes('clone3')) expect(r.step).toBe('intermediate');
    }
    await new Promise((r) => setImmediate(r));
    expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
    expect(tableCount()).toBe(0);
    for (const { backend, isolation } of modesHere()) {
      const h = spawnPrivate(...sh('exit 6'), { backend, isolation, stdio: c.stdio as 'pipe' });
      expect(await exitCode(h)).toBe(6);
    }
    // The spawns that worked opened the shared /dev/null again, on whatever number was free.
    expect(devNullFds().length).toBeLessThanOrEqual(nullsBefore + 1);
  });

  // posix_spawn gives an errno without the step: the fallback names the clone for what exec cannot
  // plausibly say of a file it found executable a moment before.
  it.skipIf(unlessBackend('fallback') !== '')(
    `the fallback backend reports a refused clone at step clone${unlessBackend('fallback')}`,
    async () => {
      const worker = new Worker(path.join(fixtures, 'refuse-worker.cjs'), {
        workerData: {
          limitsPath: inject('helpers').limits,
          refuse: ['clone3', 'clone'],
          errno: constants.errno.ENFILE,
          modes: modesHere().filter((m) => m.backend === 'fallback'),
          stdio: 'ignore',
        },
      });
      const [[result]] = (await once(worker, 'message')) as [Array<Record<string, unknown>>];
      await worker.terminate();
      expect(result).toMatchObject({ code: 'ENFILE', step: 'clone' });
    },
  );
});

const isRoot = process.getuid?.() === 0;

/**
 * Runs the nproc fixture as an unprivileged user (root is exempt from RLIMIT_NPROC: as root it
 * runs as nobody, from a copy of the package that nobody can read) and parses what it printed.
 */
async function nproc(mode: string[] = []): Promise<any> {
  const root = mkdtempSync(path.join(tmpdir(), 'pp-nproc-'));
  try {
    const copy = (from: string, to: string) => cpSync(from, path.join(root, to), { recursive: true });
    copy(path.join(repo, 'dist', 'cjs'), 'dist/cjs');
    copy(path.join(repo, 'node_modules', 'node-gyp-build'), 'node_modules/node-gyp-build');
    // The addon's folder as node-gyp-build finds it, at the same place: build/Release, or the
    // prebuild's folder on a prebuild-only install (the arm64 guest's).
    const addonDir = path.dirname(gypBuild.path(repo));
    copy(addonDir, path.relative(repo, addonDir));
    copy(inject('helpers').limits, 'limits.node');
    copy(path.join(fixtures, 'nproc.cjs'), 'nproc.cjs');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (process.env.PRIVATE_PROCESS_TEST_ADDON) {
      copy(process.env.PRIVATE_PROCESS_TEST_ADDON, 'test-addon.node');
      env.PRIVATE_PROCESS_TEST_ADDON = path.join(root, 'test-addon.node');
    }
    chmodSync(root, 0o755);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'nproc.cjs'), path.join(root, 'limits.node'), JSON.stringify(modesHere()), ...mode],
      { env, cwd: root, timeout: scaled(60_000), ...(isRoot ? { uid: 65534, gid: 65534 } : {}) },
    );
    return JSON.parse(stdout.trim());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('RLIMIT_NPROC exhausted (EAGAIN)', () => {
  it('refuses the spawn with EAGAIN at step clone, leaves nothing behind, and spawns once the limit is lifted', async () => {
    const results = (await nproc()) as Array<Record<string, unknown>>;
    expect(results.map((r) => r.name)).toEqual(modesHere().map((m) => m.name));
    for (const r of results) {
      expect(r).toMatchObject({ code: 'EAGAIN', errno: -constants.errno.EAGAIN, leakedFds: 0, zombies: 0, table: 0 });
      expect(r.next).toBe(5);
      if (r.name === 'linux-direct') expect(r.step).toBe('clone');
      if (r.name === 'linux-hidden') expect(r.step).toBe('intermediate');
    }
  });

  // The probe runs once per process; a clone it makes that fails for a passing reason (EAGAIN here,
  // ENOMEM likewise) has it run again later instead of taking the backend away for good.
  it.skipIf(unlessBackend('linux') !== '')(
    `a probe that meets EAGAIN does not take the linux backend away for good${unlessBackend('linux')}`,
    async () => {
      const r = await nproc(['--probe-under-limit']);
      expect(r.after).toBe(5);
    },
  );
});
