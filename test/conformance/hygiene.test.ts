import { once } from 'node:events';
import { openSync, closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, inject, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { kernelProfiles, runUnderSeccomp } from '../helpers/seccomp.js';
import { readAll } from '../helpers/stream.js';
import { thief } from '../helpers/thief.js';
import { scaled } from '../helpers/time.mjs';

interface Inspected {
  sigBlk: string;
  sigIgn: string;
  fds: number[];
  targets?: Record<string, string>;
}

describe.each(modesHere())('what the child inherits ($name)', ({ backend, isolation }) => {
  const inherits = unlessPortable(backend, 'libuv passes on every fd not marked close-on-exec');
  checkNoLeaks();
  const inspect = inject('helpers').inspect;

  async function inspectChild(options: object = {}, args: string[] = []): Promise<Inspected> {
    const h = spawnPrivate(inspect, args, { backend, isolation, stdio: ['ignore', 'pipe', 'inherit'], ...options });
    const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
    expect(status.exitCode).toBe(0);
    return JSON.parse(out) as Inspected;
  }

  it('starts with no blocked and no ignored signal, although Node ignores SIGPIPE', async () => {
    // The premise: this process does ignore SIGPIPE, and ignored signals survive execve.
    const own = readFileSync('/proc/self/status', 'utf8').match(/^SigIgn:\s*([0-9a-f]+)/m)![1];
    expect(BigInt(`0x${own}`) & (1n << 12n)).not.toBe(0n);
    const child = await inspectChild();
    // glibc's posix_spawn leaves its two internal signals (32 and 33) blocked
    // and ignored in the child: the fallback backend, built on it, cannot
    // help it (README, backend matrix).
    const internal = backend === 'fallback' ? 3n << 31n : 0n;
    expect(BigInt(`0x${child.sigBlk}`) & ~internal).toBe(0n);
    expect(BigInt(`0x${child.sigIgn}`) & ~internal).toBe(0n);
  });

  it.skipIf(inherits !== '')(`has no fd beyond its stdio slots${inherits}`, async () => {
    expect((await inspectChild()).fds).toEqual([0, 1, 2]);
  });

  it.skipIf(inherits !== '')(
    `does not get an fd that other native code opened without close-on-exec${inherits}`,
    async () => {
      const leaky = thief.openLeakyFd();
      try {
        const child = await inspectChild({}, ['--fdinfo']);
        expect(child.fds).toEqual([0, 1, 2]);
        expect(child.fds).not.toContain(leaky);
      } finally {
        thief.closeFd(leaky);
      }
    },
  );

  it.skipIf(inherits !== '')(
    `connects 'ignore' to /dev/null, 'inherit' and fd numbers to the parent's fds${inherits}`,
    async () => {
      const fd = openSync('/dev/zero', 'r');
      try {
        const child = await inspectChild({ stdio: [fd, 'pipe', 'ignore', 'ignore'] }, ['--fdinfo']);
        expect(child.fds).toEqual([0, 1, 2, 3]);
        expect(child.targets).toMatchObject({ '0': '/dev/zero', '2': '/dev/null', '3': '/dev/null' });
      } finally {
        closeSync(fd);
      }
    },
  );

  const ownDevNull = unlessPortable(backend, "child_process opens /dev/null itself, once per 'ignore' slot");
  // Direct isolation and the FreeBSD emulation need pidfds: on a kernel without them the fallback stands in.
  const needsPidfds = (backend === 'linux' && isolation === 'direct') || backend === 'freebsd';
  const lacking = (rules: readonly string[]): boolean => needsPidfds && rules.includes('pidfd_open=ENOSYS');
  const devNullTitle = `opens /dev/null once for every 'ignore' slot, and again when the host reused its number (even for a read-only /dev/null), on %s`;
  const noPidfds = kernelProfiles.filter(([, rules]) => lacking(rules));
  if (noPidfds.length > 0) {
    it.skip.each(noPidfds)(`${devNullTitle} (skipped: this mode needs pidfds, which that kernel lacks)`, () => {});
  }
  it.skipIf(ownDevNull !== '').each(kernelProfiles.filter(([, rules]) => !lacking(rules)))(
    `${devNullTitle}${ownDevNull}`,
    async (_kernel, rules) => {
      // A fresh process: this one's descriptor is made already, by the tests before.
      const dir = mkdtempSync(path.join(tmpdir(), 'pp-devnull-'));
      const file = path.join(dir, 'host-file');
      writeFileSync(file, 'the host owns this');
      try {
        const fixture = path.join(__dirname, '..', 'fixtures', 'devnull-shared.cjs');
        const r = await runUnderSeccomp(rules, fixture, [backend, isolation, '50', file], {
          timeout: scaled(60_000),
        });
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toEqual({
          added: 1,
          changed: [],
          stdin: '/dev/null',
          reused: { same: true, target: file, content: 'the host owns this' },
          // A read-only /dev/null of the host's on the number: not one a child may write to.
          readOnly: { code: 0, same: true, target: '/dev/null' },
        });
      } finally {
        rmSync(dir, { recursive: true });
      }
    },
  );

  it('passes extra slots in the order given, however the parent fds are numbered', async () => {
    const a = openSync('/dev/zero', 'r');
    const b = openSync('/dev/null', 'r');
    try {
      // Slot 3 takes fd 1's place and the reverse: no dup2 may clobber another slot's source.
      const child = await inspectChild({ stdio: ['ignore', 'pipe', b, a] }, ['--fdinfo']);
      expect(child.targets).toMatchObject({ '2': '/dev/null', '3': '/dev/zero' });
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });

  it('wires pipes both ways', async () => {
    const h = spawnPrivate('/bin/cat', [], { backend, isolation });
    h.stdin!.end('through the pipe');
    const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
    await readAll(h.stderr);
    expect(out).toBe('through the pipe');
    expect(status.success).toBe(true);
  });

  it('runs in cwd, with env, argv0 and a PATH lookup in the child env', async () => {
    const h = spawnPrivate('sh', ['-c', 'echo "$0 $PWD $GREETING"'], {
      backend,
      isolation,
      cwd: new URL('file:///tmp'),
      env: { PATH: '/usr/bin:/bin', GREETING: 'hi', UNSET: undefined },
      argv0: 'renamed',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out] = await Promise.all([readAll(h.stdout), h.wait()]);
    expect(out).toBe('renamed /tmp hi\n');
  });

  it("inherits this process's environment as it is now, without an env option", async () => {
    process.env.PP_TEST_VARIABLE = 'set now';
    delete process.env.PP_TEST_GONE;
    try {
      const h = spawnPrivate('/bin/sh', ['-c', 'echo "$PP_TEST_VARIABLE ${PP_TEST_GONE-unset}"'], {
        backend,
        isolation,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [out] = await Promise.all([readAll(h.stdout), h.wait()]);
      expect(out).toBe('set now unset\n');
    } finally {
      delete process.env.PP_TEST_VARIABLE;
    }
  });

  it("gives a child spawned in a worker that worker's own process.env", async () => {
    const worker = new Worker(path.join(__dirname, '..', 'fixtures', 'worker-env.cjs'));
    const [message] = (await once(worker, 'message')) as [{ out: string; code: number }];
    await worker.terminate();
    expect(message).toEqual({ out: 'from the worker', code: 0 });
    expect(process.env.PP_WORKER_ONLY).toBeUndefined();
  });

  it('starts a new session when detached', async () => {
    const h = spawnPrivate('/bin/sh', ['-c', 'ps -o sid= -p $$ 2>/dev/null || cut -d" " -f6 /proc/$$/stat'], {
      backend,
      isolation,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out] = await Promise.all([readAll(h.stdout), h.wait()]);
    expect(Number(out.trim())).toBe(h.pid);
  });
});
