import { getEventListeners, once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as cp from '../../esm/child_process.mjs';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { readAll } from '../helpers/stream.js';
import { thief } from '../helpers/thief.js';

const { ChildProcess, exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } = cp;
const forked = path.join(__dirname, '..', 'fixtures', 'compat-fork.cjs');

/** The events of a ChildProcess in the order they came, until 'close'. */
async function events(child: InstanceType<typeof ChildProcess>): Promise<string[]> {
  const seen: string[] = [];
  const shown = (x: unknown): string => (x instanceof Error ? String((x as NodeJS.ErrnoException).code) : String(x));
  for (const e of ['spawn', 'exit', 'error', 'disconnect']) {
    child.on(e, (...a: unknown[]) => seen.push([e, ...a.map(shown)].join(' ')));
  }
  // Not events.once(): it would reject at the first 'error'.
  const [code, signal] = await new Promise<unknown[]>((resolve) => child.on('close', (...a: unknown[]) => resolve(a)));
  seen.push(`close ${code} ${signal}`);
  return seen;
}

describe.each(modesHere())('private-process/child_process ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  const mode = { backend, isolation };

  it('is the same module through require() and import', () => {
    const required = createRequire(__filename)('../../dist/cjs/child_process.js');
    expect(cp.default).toBe(required);
    expect(spawn).toBe(required.spawn);
  });

  it("spawn(): 'spawn', then 'exit', then 'close', with child_process's fields", async () => {
    const child = spawn(...sh('echo out; exit 3'), mode);
    expect(child).toBeInstanceOf(ChildProcess);
    expect(child.pid).toBeGreaterThan(0);
    expect(child.spawnfile).toBe('/bin/sh');
    const out = readAll(child.stdout!);
    expect(await events(child)).toEqual(['spawn', 'exit 3 null', 'close 3 null']);
    expect(await out).toBe('out\n');
    expect([child.exitCode, child.signalCode, child.killed]).toEqual([3, null, false]);
  });

  it('kill() sets killed and signalCode; once the child has exited it returns false', async () => {
    const child = spawn('sleep', ['30'], { ...mode, stdio: 'ignore' });
    expect(child.kill()).toBe(true);
    expect(child.killed).toBe(true);
    expect(await events(child)).toEqual(['spawn', 'exit null SIGTERM', 'close null SIGTERM']);
    expect(child.signalCode).toBe('SIGTERM');
    expect(child.kill()).toBe(false);
    expect(() => child.kill('SIGNOPE' as never)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
  });

  it("a file that cannot be started is an async 'error' (spawn <file> ENOENT), then 'close' with -errno", async () => {
    const child = spawn('/nonexistent/program', ['a'], mode);
    expect(child.pid).toBeUndefined();
    const errors: NodeJS.ErrnoException[] = [];
    child.on('error', (e) => errors.push(e));
    expect(await events(child)).toEqual(['error ENOENT', 'close -2 null']);
    expect({ ...errors[0] }).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'spawn /nonexistent/program',
      path: '/nonexistent/program',
      spawnargs: ['a'],
    });
  });

  it('bad arguments throw synchronously with Node codes', () => {
    expect(() => spawn(1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => spawn('true', 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => spawn('true', [], { timeout: -1, ...mode })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => spawn('true', [], { killSignal: 'SIGNOPE' as never, ...mode })).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }),
    );
  });

  it('new ChildProcess().spawn() checks envPairs first, as child_process does, and gives the child exactly envPairs', async () => {
    const bad = new ChildProcess();
    for (const envPairs of [null, 'A=1', {}]) {
      // No file either: envPairs is what child_process reports first.
      expect(() => bad.spawn({ envPairs } as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: expect.stringContaining('"options.envPairs"'),
        }),
      );
    }
    expect(() => bad.spawn({ file: 'true', args: 'x' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.args"') }),
    );
    const child = new ChildProcess();
    const script = 'echo "$A|$HOME"';
    child.spawn({ file: '/bin/sh', args: ['sh', '-c', script], envPairs: ['A=1=2'], ...mode } as never);
    expect(await readAll(child.stdout)).toBe('1=2|\n');
    expect((await once(child, 'close'))[0]).toBe(0);
  });

  it('timeout sends killSignal and abort emits an AbortError, as in child_process', async () => {
    const timed = spawn('sleep', ['30'], { ...mode, stdio: 'ignore', timeout: 50, killSignal: 'SIGINT' });
    expect(await events(timed)).toEqual(['spawn', 'exit null SIGINT', 'close null SIGINT']);
    expect(timed.killed).toBe(true);
    const controller = new AbortController();
    const aborted = spawn('sleep', ['30'], { ...mode, stdio: 'ignore', signal: controller.signal });
    const seen = events(aborted);
    aborted.once('spawn', () => controller.abort());
    expect(await seen).toEqual(['spawn', 'error ABORT_ERR', 'exit null SIGTERM', 'close null SIGTERM']);
  });

  it('execFile() calls back with (null, stdout, stderr), and its promisified form resolves them', async () => {
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', 'echo out; echo err >&2'], mode);
    expect([stdout, stderr]).toEqual(['out\n', 'err\n']);
    const bytes = await promisify(execFile)('echo', ['b'], { ...mode, encoding: 'buffer' });
    expect(bytes.stdout).toEqual(Buffer.from('b\n'));
  });

  it('execFile() fails with code, signal, killed, cmd, and the output on the error', async () => {
    const failed = await promisify(execFile)('sh', ['-c', 'echo partial; exit 7'], mode).catch((e) => e);
    expect(failed).toMatchObject({
      code: 7,
      signal: null,
      killed: false,
      cmd: 'sh -c echo partial; exit 7',
      stdout: 'partial\n',
    });
    const slow = await promisify(execFile)('sleep', ['30'], { ...mode, timeout: 50 }).catch((e) => e);
    expect(slow).toMatchObject({ code: null, signal: 'SIGTERM', killed: true });
    const big = await promisify(execFile)('head', ['-c', '2000', '/dev/zero'], { ...mode, maxBuffer: 100 }).catch(
      (e) => e,
    );
    expect(big).toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    expect(big.stdout).toHaveLength(100);
    const missing = await promisify(execFile)('/nonexistent/program', mode).catch((e) => e);
    expect(missing).toMatchObject({ code: 'ENOENT', errno: -2, cmd: '/nonexistent/program' });
  });

  it('exec() runs a shell', async () => {
    const { stdout } = await promisify(exec)('echo $((6 * 7)) | tr 4 X', mode);
    expect(stdout).toBe('X2\n');
    const child = exec('exit 5', mode, (err) => expect(err).toMatchObject({ code: 5 }));
    expect(await events(child)).toEqual(['spawn', 'exit 5 null', 'close 5 null']);
  });

  it.each(['json', 'advanced'] as const)(
    "fork() gives a plain Node child process.send: messages, large ones, then 'disconnect' (%s)",
    async (serialization) => {
      const child = fork(forked, [], { ...mode, serialization });
      expect(child.connected).toBe(true);
      const got: unknown[] = [];
      child.on('message', (m) => {
        got.push(m);
        if (got.length === 2) child.disconnect();
      });
      child.send({ n: 1 });
      child.send({ big: 3 * 1024 * 1024 });
      const seen = await events(child);
      expect(got).toEqual([{ echo: { n: 1 } }, 'z'.repeat(3 * 1024 * 1024)]);
      expect(seen).toContain('disconnect');
      expect(seen.at(-1)).toBe('close 0 null');
      expect(child.connected).toBe(false);
    },
  );

  it('checks as child_process does: timeout out of range, NUL bytes, serialization null, null options', () => {
    expect(() => spawn('true', [], null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // Node's errors show their code in String(err), which assert.throws(fn, /CODE/) matches.
    const thrown = (() => {
      try {
        spawn('true', [], { timeout: -1 });
      } catch (err) {
        return String(err);
      }
    })();
    expect(thrown).toMatch(/^RangeError \[ERR_OUT_OF_RANGE\]: /);
    expect(() => spawn('true', [], { ...mode, timeout: 'bad' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => spawn('true', ['a\0b'], mode)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fork('a\0b', mode)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fork(forked, { ...mode, serialization: null as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('a second disconnect() emits ERR_IPC_DISCONNECTED before it returns; fork() runs no shell', async () => {
    const child = fork(forked, ['$HOME'], { ...mode, shell: true } as never);
    expect(child.spawnargs.at(-1)).toBe('$HOME');
    child.disconnect();
    expect(() => child.disconnect()).toThrow(expect.objectContaining({ code: 'ERR_IPC_DISCONNECTED' }));
    expect((await events(child)).at(-1)).toBe('close 0 null');
  });

  it('the promisified forms throw bad arguments at once, and keep the output of a stream decoded by its reader', async () => {
    expect(() => promisify(execFile)('true', { ...mode, signal: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    const child = execFile('echo', ['é'], { ...mode, encoding: 'buffer' }, (err, stdout) => {
      expect(err).toBeNull();
      expect(stdout).toBe('é\n');
    });
    child.stdout!.setEncoding('utf8');
    expect((await events(child)).at(-1)).toBe('close 0 null');
  });

  it('execFile() with an own encoding of undefined or null gives Buffers, as child_process does', async () => {
    const { stdout } = await promisify(execFile)('echo', ['b'], { ...mode, encoding: null });
    expect(stdout).toEqual(Buffer.from('b\n'));
  });

  it("fork() needs 'ipc' in a stdio array (ERR_CHILD_PROCESS_IPC_REQUIRED)", () => {
    expect(() => fork(forked, { ...mode, stdio: ['pipe', 'pipe', 'pipe'] })).toThrow(
      expect.objectContaining({ code: 'ERR_CHILD_PROCESS_IPC_REQUIRED' }),
    );
  });

  it("execFile() names a negative exit code as child_process does (-1 is 'EPERM')", async () => {
    let exited: Promise<unknown[]> | undefined;
    const failed = new Promise<unknown>((resolve) => {
      const child = execFile('sleep', ['30'], mode, resolve);
      exited = once(child, 'exit');
      child.kill();
      child.emit('close', -1, null);
    });
    expect(await failed).toMatchObject({ code: 'EPERM', killed: true, signal: null });
    await exited;
  });

  it('checks windowsHide, windowsVerbatimArguments, uid, gid, killSignal and serialization as child_process does', () => {
    for (const name of ['windowsHide', 'windowsVerbatimArguments']) {
      expect(() => spawn('true', { ...mode, [name]: 0 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
    // A uid or gid that is not an int32 is a type error to child_process, not a range error.
    for (const name of ['uid', 'gid']) {
      expect(() => spawn('true', { ...mode, [name]: 2 ** 63 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }),
      );
    }
    for (const killSignal of [0, 'constructor', 'SIGNOPE']) {
      expect(() => spawn('true', { ...mode, killSignal: killSignal as never })).toThrow(
        expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }),
      );
    }
    expect(() => spawn('true', { ...mode, serialization: 42 as never })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: "The property 'options.serialization' must be one of: undefined, 'json', 'advanced'. Received 42",
      }),
    );
  });

  it('takes as signal any object with an aborted property, as child_process does, and stops listening at exit', async () => {
    const signal = Object.assign(new EventTarget(), { aborted: false });
    const child = spawn('sleep', ['30'], { ...mode, signal: signal as never });
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    const seen = events(child);
    signal.dispatchEvent(new Event('abort'));
    expect(await seen).toContain('error ABORT_ERR');
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('spawn() takes cwd, detached, uid, gid, shell, argv0 and env given as null, and an empty cwd, as not given', async () => {
    const none = { cwd: null, detached: null, uid: null, gid: null, shell: null, argv0: null, env: null };
    const child = spawn('true', { ...mode, ...none, killSignal: 'sigkill' } as never);
    expect((await events(child)).at(-1)).toBe('close 0 null');
    const here = spawn('pwd', { ...mode, cwd: '' });
    expect(typeof here.pid).toBe('number');
    const [out] = await Promise.all([readAll(here.stdout!), events(here)]);
    expect(String(out).trim()).toBe(process.cwd());
  });

  const sync = backend === 'portable' ? it.skip : it;
  sync(
    'spawnSync(), execFileSync(), execSync() give child_process results and errors (the portable backend has no sync runs)',
    () => {
      const r = spawnSync('sh', ['-c', 'echo o; echo e >&2; exit 2'], { ...mode, encoding: 'utf8' });
      expect(r).toMatchObject({ output: [null, 'o\n', 'e\n'], stdout: 'o\n', stderr: 'e\n', status: 2, signal: null });
      expect(r.pid).toBeGreaterThan(0);
      expect(spawnSync('cat', { ...mode, input: 'in' }).stdout).toEqual(Buffer.from('in'));
      const timedOut = spawnSync('sleep', ['30'], { ...mode, timeout: 50 });
      expect(timedOut).toMatchObject({ status: null, signal: 'SIGTERM', error: { code: 'ETIMEDOUT' } });
      const missing = spawnSync('/nonexistent/program', ['a'], mode);
      expect(missing).toMatchObject({
        pid: 0,
        status: null,
        error: { code: 'ENOENT', syscall: 'spawnSync /nonexistent/program', spawnargs: ['a'] },
      });
      expect(execFileSync('echo', ['x'], { ...mode, encoding: 'utf8' })).toBe('x\n');
      expect(String(execSync('echo $((1 + 1))', mode))).toBe('2\n');
      expect(() => execSync('exit 4', { ...mode, stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 4 }));
    },
  );

  sync(
    'spawnSync() keeps the whole chunk that went over maxBuffer, and takes 0 as no limit, as child_process does',
    () => {
      const over = spawnSync('sh', ['-c', 'printf hello'], { ...mode, maxBuffer: 1 });
      expect(over).toMatchObject({ error: { code: 'ENOBUFS' }, stdout: Buffer.from('hello') });
      expect(() => execFileSync('sh', ['-c', 'printf hello'], { ...mode, maxBuffer: 2.5 })).toThrow(
        expect.objectContaining({ code: 'ENOBUFS', stdout: Buffer.from('hello') }),
      );
      const unlimited = spawnSync('sh', ['-c', 'printf hello'], { ...mode, maxBuffer: 0 });
      expect([unlimited.error, unlimited.stdout]).toEqual([undefined, Buffer.from('hello')]);
    },
  );

  sync('spawnSync() takes any ArrayBufferView as input, and null options as not given', () => {
    const bytes = Buffer.from('12345678');
    for (const input of [
      new Int16Array(bytes.buffer, bytes.byteOffset, 4),
      new DataView(bytes.buffer, bytes.byteOffset, 8),
    ]) {
      expect(spawnSync('cat', { ...mode, input }).stdout).toEqual(bytes);
    }
    const none = { cwd: null, detached: null, uid: null, gid: null, timeout: null, maxBuffer: null, killSignal: null };
    const r = spawnSync('true', { ...mode, ...none } as never);
    expect([r.error, r.status]).toEqual([undefined, 0]);
    expect(() => spawnSync('true', { ...mode, timeout: 'bad' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => spawnSync('true', { ...mode, windowsHide: 1 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => spawnSync('true', { ...mode, killSignal: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }),
    );
  });
});

describe('the children of private-process/child_process are private by default', () => {
  checkNoLeaks();
  // The default here: hidden isolation on Linux. (On FreeBSD the kernel keeps pdfork children from
  // such a thread, which the emulation cannot show; child_process's cannot be kept from it.)
  const hidden = modesHere()[0]?.name === 'linux-hidden';
  (hidden ? it : it.skip)(
    `a foreign waitpid(-1) thread neither reaps them nor changes their statuses${hidden ? '' : ' (where the default is not hidden isolation on Linux: emulated FreeBSD, portable)'}`,
    async () => {
      thief.startThreadThief();
      try {
        const pids = new Set<number>();
        for (let i = 0; i < 40; i++) {
          const child = spawn(...sh(`exit ${i}`), { stdio: 'ignore' });
          pids.add(child.pid!);
          const [code] = await once(child, 'exit');
          expect(code).toBe(i);
          const err = await promisify(execFile)('sh', ['-c', `exit ${i + 1}`]).catch((e) => e);
          expect(err.code).toBe(i + 1);
        }
        expect(thief.takeStolen().filter((r) => pids.has(r.pid))).toEqual([]);
      } finally {
        thief.stopThreadThief();
        thief.takeStolen();
      }
    },
  );
});
