import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { helperPaths, repoRoot } from '../helpers/build.js';
import { liveChildren, openFds, parseProcStat, zombieChildren } from '../helpers/leaks.js';
import { runProgramUnderSeccomp, runUnderSeccomp, seccompArgs } from '../helpers/seccomp.js';
import { decodeWaitStatus, thief, type Reaped } from '../helpers/thief.js';

const O_CLOEXEC = 0o2000000;

/** fdFlags reads the open-file flags of one of our descriptors from /proc/self/fdinfo. */
function fdFlags(fd: number): number {
  const match = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (match === null) {
    throw new Error(`no flags line in /proc/self/fdinfo/${fd}`);
  }
  return parseInt(match[1]!, 8);
}

/** run executes a helper and resolves with its stdout once it has exited with status 0. */
function run(file: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** exited resolves once a child_process child has exited and been reaped by libuv. */
function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** sleepSync blocks the JS thread, and so libuv's reaping, for `ms` milliseconds. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * takeStolenSync polls the thief log while blocking the event loop, so libuv cannot reap the child
 * first (it reaps only from the loop). The bound only guards against a hang; a vitest timeout could
 * not interrupt a synchronous loop.
 */
function takeStolenSync(): Reaped[] {
  for (let attempt = 0; attempt < 6000; attempt++) {
    const stolen = thief.takeStolen();
    if (stolen.length > 0) {
      return stolen;
    }
    sleepSync(5);
  }
  throw new Error('the thief reaped nothing');
}

describe('global setup', () => {
  it('provides the same helper paths that helperPaths() computes', () => {
    expect(inject('helpers')).toEqual(helperPaths());
  });
});

describe('thief addon', () => {
  it('rawWaitpid(-1, true) throws ECHILD in a process with no children', () => {
    expect(liveChildren()).toEqual([]);
    let caught: unknown;
    try {
      thief.rawWaitpid(-1, true);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ECHILD', errno: -10, syscall: 'waitpid' });
  });

  it('openLeakyFd returns a descriptor without FD_CLOEXEC, unlike Node', () => {
    const leaky = thief.openLeakyFd();
    const nodeFd = openSync('/dev/null', 'r');
    try {
      expect(fdFlags(leaky) & O_CLOEXEC).toBe(0);
      expect(fdFlags(nodeFd) & O_CLOEXEC).toBe(O_CLOEXEC);
    } finally {
      thief.closeFd(leaky);
      closeSync(nodeFd);
    }
    expect(() => thief.closeFd(leaky)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('rawKill returns -ESRCH for a pid that cannot exist and 0 for signal 0 to itself', () => {
    expect(thief.rawKill(process.pid, 0)).toBe(0);
    expect(thief.rawKill(2 ** 22 + 1, 0)).toBe(-3);
  });

  it('the thread thief steals a child_process child and stops cleanly', () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(7)'], { stdio: 'ignore' });
    const pid = child.pid!;
    thief.startThreadThief();
    try {
      expect(() => thief.startThreadThief()).toThrow(expect.objectContaining({ code: 'ERR_THIEF_RUNNING' }));
      const stolen = takeStolenSync();
      expect(stolen).toEqual([{ pid, status: 7 << 8 }]);
      expect(decodeWaitStatus(stolen[0]!.status)).toEqual({
        exitCode: 7,
        signal: null,
        coreDumped: false,
      });
    } finally {
      thief.stopThreadThief();
    }
    expect(thief.takeStolen()).toEqual([]);
    expect(liveChildren()).toEqual([]);
    // libuv never learns the stolen child exited; drop its handle so it cannot hold the worker
    // open.
    child.unref();
  });

  it('the SIGCHLD thief steals a child and chains to libuv, and stays installed across spawns', () => {
    thief.installSigchldThief();
    let child: ChildProcess | undefined;
    try {
      expect(thief.isSigchldThiefInstalled()).toBe(true);
      child = spawn(process.execPath, ['-e', 'process.kill(process.pid, "SIGKILL")'], {
        stdio: 'ignore',
      });
      expect(thief.isSigchldThiefInstalled()).toBe(true);
      const stolen = takeStolenSync();
      expect(stolen).toEqual([{ pid: child.pid, status: 9 }]);
    } finally {
      expect(thief.uninstallSigchldThief()).toBe(true);
      child?.unref();
    }
    expect(thief.isSigchldThiefInstalled()).toBe(false);
    expect(liveChildren()).toEqual([]);
  });
});

describe('leak probes', () => {
  it('openFds sees a new descriptor and not the one used to list /proc/self/fd', () => {
    const before = openFds();
    const fd = openSync('/dev/null', 'r');
    try {
      expect(openFds()).toEqual([...before, fd].sort((a, b) => a - b));
    } finally {
      closeSync(fd);
    }
    expect(openFds()).toEqual(before);
  });

  it('parseProcStat splits after the last parenthesis of the command name', () => {
    const stat = parseProcStat('4242 (a) Z (b c)) S 17 4242 4242 0 -1 4194560 0 0');
    expect(stat).toEqual({ pid: 4242, comm: 'a) Z (b c)', state: 'S', ppid: 17 });
  });

  it('zombieChildren and liveChildren see a child that exited but is not reaped yet', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const done = exited(child);
    const pid = child.pid!;
    // libuv reaps only when the event loop runs, so while this thread blocks the child stays a
    // zombie.
    while (!zombieChildren().includes(pid)) {
      expect(liveChildren()).toContain(pid);
      sleepSync(5);
    }
    expect(liveChildren()).toContain(pid);
    await done;
    expect(liveChildren()).not.toContain(pid);
  });
});

describe('inspect fixture', () => {
  it('prints its signal masks and descriptors as one JSON line', async () => {
    const out = await run(helperPaths().inspect);
    expect(out.endsWith('\n')).toBe(true);
    const report = JSON.parse(out);
    expect(report.sigBlk).toMatch(/^[0-9a-f]{16}$/);
    expect(report.sigIgn).toMatch(/^[0-9a-f]{16}$/);
    expect(report.fds.slice(0, 3)).toEqual([0, 1, 2]);
    expect(report).not.toHaveProperty('targets');
  });

  it('shows, with --fdinfo, that child_process leaks a descriptor opened without O_CLOEXEC', async () => {
    const leaky = thief.openLeakyFd();
    try {
      const report = JSON.parse(await run(helperPaths().inspect, ['--fdinfo']));
      expect(report.fds).toContain(leaky);
      expect(report.targets[String(leaky)]).toBe('/dev/null');
    } finally {
      thief.closeFd(leaky);
    }
  });
});

describe('seccomp-run', () => {
  const probe = () => helperPaths().syscallProbe;

  it('maps rules to runner arguments', () => {
    expect(seccompArgs(['clone3=ENOSYS', 'ioctl:PIDFD_GET_INFO=SIGSYS'])).toEqual([
      '--fail',
      'clone3=ENOSYS',
      '--trap-kill',
      'ioctl:PIDFD_GET_INFO',
    ]);
    expect(() => seccompArgs(['clone3'])).toThrow(TypeError);
  });

  it('leaves every probed call alone without rules', async () => {
    const result = await runProgramUnderSeccomp([], probe());
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(result.stdout)).toMatchObject({
      clone3: 'EINVAL',
      clone: 'EINVAL',
      waitid: 'ECHILD',
    });
  });

  it('makes clone3 fail with ENOSYS, as Docker does, and nothing else', async () => {
    const result = await runProgramUnderSeccomp(['clone3=ENOSYS'], probe());
    const baseline = JSON.parse((await runProgramUnderSeccomp([], probe())).stdout);
    expect(JSON.parse(result.stdout)).toEqual({ ...baseline, clone3: 'ENOSYS' });
  });

  it('refuses each named call with its errno, PIDFD_GET_INFO included', async () => {
    const rules = ['clone=EPERM', 'pidfd_open=ENOSYS', 'ioctl:PIDFD_GET_INFO=ENOTTY', 'close_range=22'];
    const result = await runProgramUnderSeccomp(rules, probe());
    // pidfd_open failing leaves no pidfd, so the calls that need one see EBADF.
    expect(JSON.parse(result.stdout)).toMatchObject({
      clone: 'EPERM',
      pidfd_open: 'ENOSYS',
      pidfd_send_signal: 'EBADF',
      close_range: 'EINVAL',
    });
    const ioctlOnly = await runProgramUnderSeccomp(['ioctl:PIDFD_GET_INFO=ENOTTY', 'waitid=EPERM'], probe());
    expect(JSON.parse(ioctlOnly.stdout)).toMatchObject({
      'ioctl:PIDFD_GET_INFO': 'ENOTTY',
      waitid: 'EPERM',
    });
  });

  it('kills with SIGSYS on a trap rule even when SIGSYS is ignored, unless it is handled', async () => {
    expect(await runProgramUnderSeccomp(['clone3=SIGSYS'], probe(), ['--ignore-sigsys'])).toMatchObject({
      code: null,
      signal: 'SIGSYS',
    });
    const caught = await runProgramUnderSeccomp(['clone3=SIGSYS'], probe(), ['--catch-sigsys']);
    expect(caught.code).toBe(0);
    expect(JSON.parse(caught.stdout)).toMatchObject({ clone3: 'SIGSYS', clone: 'EINVAL' });
  });

  it('lets node start under clone3=ENOSYS', async () => {
    const script = path.join(repoRoot, 'test/fixtures/hello.cjs');
    const result = await runUnderSeccomp(['clone3=ENOSYS'], script, ['a b']);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(result.stdout)).toEqual({ hello: true, args: ['a b'] });
  });

  it('reports a usage error with status 125', async () => {
    const result = await runProgramUnderSeccomp(['nosuchcall=EPERM'], probe());
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('unknown system call');
  });
});
