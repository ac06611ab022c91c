import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProcessStatus, runPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { rejection } from '../helpers/assert.js';
import { checkNoLeaks, sh } from '../helpers/children.js';

/** What `seq 1 n` prints. */
function seq(n: number): string {
  return Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');
}

describe.each(modesHere())('runPrivate ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('resolves with stdout, stderr and the status of a child that exits 0', async () => {
    const r = await runPrivate(...sh('echo out; echo err >&2'), { backend, isolation });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.status).toBeInstanceOf(ProcessStatus);
    expect(r.status.success).toBe(true);
    expect(r.pid).toBe(r.status.pid);
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeNull();
  });

  it('resolves, not rejects, a non-zero exit or a signal: the status says so', async () => {
    const exited = await runPrivate(...sh('echo partial; exit 3'), { backend, isolation });
    expect(exited.stdout).toBe('partial\n');
    expect(exited.exitCode).toBe(3);
    expect(exited.status.exitCode).toBe(3);
    const killed = await runPrivate(...sh('kill -KILL $$'), { backend, isolation });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.exitCode).toBeNull();
  });

  it.each(['buffer', null] as const)('gives Buffers with encoding %s', async (encoding) => {
    const r = await runPrivate(...sh("printf '\\303\\251'; printf '\\377' >&2"), { backend, isolation, encoding });
    expect(Buffer.isBuffer(r.stdout)).toBe(true);
    expect(r.stdout).toEqual(Buffer.from([0xc3, 0xa9]));
    expect(r.stderr).toEqual(Buffer.from([0xff]));
  });

  it.each([
    ['utf8', 'é'],
    ['latin1', 'Ã©'],
    ['hex', 'c3a9'],
    ['base64', 'w6k='],
  ] as const)('decodes the whole output with encoding %s', async (encoding, expected) => {
    const r = await runPrivate(...sh("printf '\\303'; sleep 0.05; printf '\\251'"), { backend, isolation, encoding });
    expect(r.stdout).toBe(expected);
  });

  it.each([
    ['a string', () => 'héllo'],
    ['a Buffer', () => Buffer.from('héllo')],
    ['a Uint8Array', () => new Uint8Array(Buffer.from('héllo'))],
    ['a Readable', () => Readable.from([Buffer.from('hé'), Buffer.from('llo')])],
  ])('writes input given as %s to stdin, then closes it', async (_, input) => {
    const r = await runPrivate('cat', [], { backend, isolation, input: input() });
    expect(r.stdout).toBe('héllo');
    expect(r.status.success).toBe(true);
  });

  it('connects stdin to /dev/null without input, and closes a stdin pipe at once', async () => {
    const ignored = await runPrivate(...sh('readlink /proc/self/fd/0; cat'), { backend, isolation });
    expect(ignored.stdout).toBe('/dev/null\n');
    const piped = await runPrivate('cat', [], { backend, isolation, stdio: ['pipe', 'pipe', 'pipe'] });
    expect(piped.stdout).toBe('');
    expect(piped.status.success).toBe(true);
  });

  it('does not fail when the child exits without reading its input', async () => {
    const r = await runPrivate('true', [], { backend, isolation, input: Buffer.alloc(4 * 1024 * 1024, 'x') });
    expect(r.status.success).toBe(true);
  });

  it('kills the child and rejects with the error of a failing input stream', async () => {
    const boom = new Error('boom');
    const input = new Readable({ read: () => input.destroy(boom) });
    const err = await rejection(runPrivate('cat', [], { backend, isolation, input }));
    expect(err).toBe(boom);
    expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
    expect(input.listenerCount('error')).toBe(0);
  });

  it('captures several MiB of output, whole and in order', async () => {
    const r = await runPrivate('seq', ['1', '1000000'], { backend, isolation });
    expect(r.stdout.length).toBe(seq(1_000_000).length);
    expect(r.stdout === seq(1_000_000)).toBe(true);
  });

  it('keeps output written just before the exit, every time', async () => {
    const runs = await Promise.all(
      Array.from({ length: 40 }, () => runPrivate(...sh('seq 1 3000; printf end >&2; exit 7'), { backend, isolation })),
    );
    for (const r of runs) {
      expect(r.stdout === seq(3000)).toBe(true);
      expect(r.stderr).toBe('end');
      expect(r.exitCode).toBe(7);
    }
  });

  it('keeps output written after stdout is closed, and after the child has exited', async () => {
    const closedEarly = await runPrivate(...sh('printf early; exec 1>&-; sleep 0.1; printf late >&2'), {
      backend,
      isolation,
    });
    expect(closedEarly.stdout).toBe('early');
    expect(closedEarly.stderr).toBe('late');
    // The subshell keeps the pipes and writes once its parent has been reaped.
    const descendant = await runPrivate(...sh('(sleep 0.1; printf late) & printf early'), { backend, isolation });
    expect(descendant.stdout).toBe('earlylate');
    expect(descendant.status.success).toBe(true);
  });

  it('maxBuffer: kills the child with killSignal and rejects, keeping what was read', async () => {
    const err = await rejection(runPrivate('yes', [], { backend, isolation, maxBuffer: 1000 }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    expect(err.stdout).toBe('y\n'.repeat(500));
    expect(err.stderr).toBe('');
    expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
    expect(err.signal).toBe('SIGTERM');
    expect(err.pid).toBe((err.status as ProcessStatus).pid);
  });

  it('maxBuffer applies to stderr too, and Buffers are cut at maxBuffer bytes', async () => {
    const err = await rejection(
      runPrivate(...sh('echo ok; exec yes >&2'), {
        backend,
        isolation,
        maxBuffer: 7,
        encoding: 'buffer',
        killSignal: 'SIGKILL',
      }),
    );
    expect(err.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    expect(err.stderr).toEqual(Buffer.from('y\ny\ny\ny'));
    expect(err.stdout).toEqual(Buffer.from('ok\n'));
    expect(err.signal).toBe('SIGKILL');
  });

  it('maxBuffer: exactly maxBuffer bytes is not too many', async () => {
    const r = await runPrivate('printf', ['12345'], { backend, isolation, maxBuffer: 5 });
    expect(r.stdout).toBe('12345');
  });

  it('reject: true rejects a non-zero exit with ERR_PRIVATE_PROCESS_FAILED carrying the run', async () => {
    const err = await rejection(
      runPrivate(...sh('echo out; echo err >&2; exit 3'), { backend, isolation, reject: true }),
    );
    expect(err.code).toBe('ERR_PRIVATE_PROCESS_FAILED');
    expect(err.message).toBe("Command failed: /bin/sh -c 'echo out; echo err >&2; exit 3' (exit 3)");
    expect(err).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, signal: null });
    expect(err.spawnargs).toEqual(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(err.status).toBeInstanceOf(ProcessStatus);
    expect(err.pid).toBe((err.status as ProcessStatus).pid);
  });

  it('reject: true rejects a child killed by a signal, and resolves exit 0', async () => {
    const err = await rejection(runPrivate(...sh('kill -KILL $$'), { backend, isolation, reject: true }));
    expect(err.code).toBe('ERR_PRIVATE_PROCESS_FAILED');
    expect(err.signal).toBe('SIGKILL');
    expect(err.exitCode).toBeNull();
    await expect(runPrivate('true', [], { backend, isolation, reject: true })).resolves.toMatchObject({ exitCode: 0 });
  });

  it('rejects, not throws, when the child cannot start: Node’s spawn error shape with the step', async () => {
    let p: Promise<unknown> | undefined;
    expect(() => (p = runPrivate('no-such-command-here', ['a'], { backend, isolation }))).not.toThrow();
    const err = await rejection(p!);
    expect(err).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'spawn no-such-command-here',
      path: 'no-such-command-here',
      spawnargs: ['no-such-command-here', 'a'],
      step: 'execve',
    });
    const chdir = await rejection(runPrivate('true', [], { backend, isolation, cwd: '/no/such/dir' }));
    expect(chdir).toMatchObject({ code: 'ENOENT', step: 'chdir' });
  });

  it('captures only the slots that are pipes; the caller’s stdio wins', async () => {
    const r = await runPrivate(...sh('echo out; echo err >&2'), {
      backend,
      isolation,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('');
    const none = await runPrivate(...sh('echo out'), { backend, isolation, stdio: 'ignore', encoding: 'buffer' });
    expect(none.stdout).toEqual(Buffer.alloc(0));
  });
});

describe('runPrivate argument validation, before anything is spawned', () => {
  it.each([
    ['a non-string file', () => runPrivate(42 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['options that are not an object', () => runPrivate('true', [], 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    [
      'an unknown encoding',
      () => runPrivate('true', [], { encoding: 'utf9' as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'a non-string encoding',
      () => runPrivate('true', [], { encoding: 8 as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
    ['a negative maxBuffer', () => runPrivate('true', [], { maxBuffer: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['a fractional maxBuffer', () => runPrivate('true', [], { maxBuffer: 1.5 }), 'ERR_OUT_OF_RANGE', RangeError],
    [
      'a string maxBuffer',
      () => runPrivate('true', [], { maxBuffer: '1' as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
    ['a number as input', () => runPrivate('true', [], { input: 42 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    [
      'a non-boolean reject',
      () => runPrivate('true', [], { reject: 'yes' as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
    ['an unknown stdio', () => runPrivate('true', [], { stdio: 'pty' as never }), 'ERR_INVALID_ARG_VALUE', TypeError],
    [
      'input without a stdin pipe',
      () => runPrivate('cat', [], { input: 'x', stdio: 'inherit' }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'a pipe on fd 3',
      () => runPrivate('true', [], { stdio: [null, null, null, 'pipe'] }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'a bad killSignal',
      () => runPrivate('true', [], { killSignal: 'SIGNOPE' as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
  ])('throws synchronously for %s', (_, call, code, type) => {
    expect(call).toThrow(type);
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('runPrivate module formats', () => {
  it('is the same function through require() and import', () => {
    expect(createRequire(import.meta.url)('private-process').runPrivate).toBe(runPrivate);
  });
});
