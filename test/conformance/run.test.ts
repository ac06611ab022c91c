import { createRequire } from 'node:module';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isRunError, isSpawnError, ProcessStatus, runPrivate, runPrivateSync } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { rejection, within } from '../helpers/assert.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { liveChildren } from '../helpers/leaks.js';

/** What `seq 1 n` prints. */
function seq(n: number): string {
  return Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');
}

type Run = typeof runPrivate;

/** runPrivateSync as a promise, so that one test body checks both functions. */
const runSync = ((...a: Parameters<Run>) => {
  try {
    return Promise.resolve((runPrivateSync as (...b: unknown[]) => unknown)(...a));
  } catch (err) {
    return Promise.reject(err);
  }
}) as Run;

const modes: Array<[string, Run]> = [
  ['runPrivate', runPrivate],
  ['runPrivateSync', runSync],
];
// runPrivateSync polls the child's pipes: child_process keeps them in its own streams.
const noSync = unlessPortable('portable', 'runPrivateSync() has no pipes to poll');
const cases = modesHere()
  .flatMap((m) => modes.map(([name, run]) => ({ ...m, fn: name, run })))
  .filter((c) => !(c.backend === 'portable' && c.fn === 'runPrivateSync'));
if (modesHere().some((m) => m.backend === 'portable')) it.skip(`runPrivateSync (portable)${noSync}`, () => {});
// The portable backend can be asked for everywhere.
it('runPrivateSync refuses the portable backend before it starts a child', () => {
  const before = liveChildren();
  const call = (): unknown => runPrivateSync('/bin/sh', ['-c', 'sleep 5'], { backend: 'portable' });
  expect(call).toThrow(expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }));
  // Synchronously after the call: a child started and killed would still be there, unreaped.
  expect(liveChildren()).toEqual(before);
});

describe.each(cases)('$fn ($name)', ({ fn: name, backend, isolation, run }) => {
  checkNoLeaks();

  it('resolves with stdout and stderr without their final newline, the status and the command', async () => {
    const r = await run(...sh('echo out; echo err >&2'), { backend, isolation });
    expect(r.stdout).toBe('out');
    expect(r.stderr).toBe('err');
    expect(r.all).toBeUndefined();
    expect(r.status).toBeInstanceOf(ProcessStatus);
    expect(r.status.success).toBe(true);
    expect(r.pid).toBe(r.status.pid);
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.command).toBe("/bin/sh -c 'echo out; echo err >&2'");
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('stripFinalNewline: false keeps the output as the child wrote it', async () => {
    const r = await run(...sh('printf "a\\r\\n\\n"; printf "b\\r\\n" >&2'), {
      backend,
      isolation,
      stripFinalNewline: false,
    });
    expect(r.stdout).toBe('a\r\n\n');
    expect(r.stderr).toBe('b\r\n');
    const stripped = await run(...sh('printf "a\\r\\n\\n"; printf "b\\r\\n" >&2'), { backend, isolation });
    expect(stripped.stdout).toBe('a\r\n'); // one final newline only
    expect(stripped.stderr).toBe('b');
  });

  it('rejects a non-zero exit with ERR_PRIVATE_PROCESS_FAILED: the command, the code and the end of stderr', async () => {
    const err = await rejection(run(...sh('echo out; echo "it broke" >&2; exit 3'), { backend, isolation }));
    expect(isRunError(err)).toBe(true);
    expect(isSpawnError(err)).toBe(false);
    expect(err.code).toBe('ERR_PRIVATE_PROCESS_FAILED');
    expect(err.shortMessage).toBe(
      `Command failed with exit code 3: /bin/sh -c 'echo out; echo "it broke" >&2; exit 3'`,
    );
    expect(err.message).toBe(`${err.shortMessage}\n\nit broke`);
    expect(err.command).toBe(`/bin/sh -c 'echo out; echo "it broke" >&2; exit 3'`);
    expect(err).toMatchObject({ stdout: 'out', stderr: 'it broke', exitCode: 3, signal: null });
    expect(err.spawnargs).toEqual(['/bin/sh', '-c', 'echo out; echo "it broke" >&2; exit 3']);
    expect(err.status).toBeInstanceOf(ProcessStatus);
    expect(err.pid).toBe((err.status as ProcessStatus).pid);
    expect(err.durationMs).toBeGreaterThan(0);
  });

  it('keeps only the last lines of a long stderr in the message', async () => {
    const err = await rejection(run(...sh('seq 1 100 >&2; exit 1'), { backend, isolation }));
    expect(err.message.split('\n\n')[1]).toBe(seq(100).trim().split('\n').slice(-10).join('\n'));
    expect(err.stderr).toBe(seq(100).trim());
  });

  it('rejects a child killed by a signal, and resolves exit 0', async () => {
    const err = await rejection(run(...sh('kill -KILL $$'), { backend, isolation }));
    expect(err.code).toBe('ERR_PRIVATE_PROCESS_FAILED');
    expect(err.shortMessage).toBe("Command was killed with SIGKILL: /bin/sh -c 'kill -KILL $$'");
    expect(err.signal).toBe('SIGKILL');
    expect(err.exitCode).toBeNull();
    await expect(run('true', [], { backend, isolation })).resolves.toMatchObject({ exitCode: 0 });
  });

  it('reject: false resolves a non-zero exit or a signal: the status says so', async () => {
    const exited = await run(...sh('echo partial; exit 3'), { backend, isolation, reject: false });
    expect(exited.stdout).toBe('partial');
    expect(exited.exitCode).toBe(3);
    expect(exited.status.exitCode).toBe(3);
    const killed = await run(...sh('kill -KILL $$'), { backend, isolation, reject: false });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.exitCode).toBeNull();
  });

  it('rejects a child that cannot start with Node’s spawn error shape, empty output and null status', async () => {
    let p: Promise<unknown> | undefined;
    if (name === 'runPrivate')
      expect(() => (p = run('no-such-command-here', ['a'], { backend, isolation }))).not.toThrow();
    const err = await rejection(p ?? run('no-such-command-here', ['a'], { backend, isolation }));
    expect(err).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'spawn no-such-command-here',
      path: 'no-such-command-here',
      spawnargs: ['no-such-command-here', 'a'],
      step: 'execve',
      stdout: '',
      stderr: '',
      pid: null,
      status: null,
      exitCode: null,
      signal: null,
      command: 'no-such-command-here a',
    });
    expect(isRunError(err) && isSpawnError(err)).toBe(true);
    expect(err.shortMessage).toBe(
      'Command failed with ENOENT: no-such-command-here a\n' +
        'spawn no-such-command-here ENOENT: no such file or directory (at execve)',
    );
    expect((err.stdout as string).length).toBe(0);
    const bytes = await rejection(run('no-such-command-here', [], { backend, isolation, encoding: 'buffer' }));
    expect(bytes.stdout).toEqual(Buffer.alloc(0));
    const chdir = await rejection(run('true', [], { backend, isolation, cwd: '/no/such/dir' }));
    expect(chdir).toMatchObject({ code: 'ENOENT', step: 'chdir' });
  });

  it.each(['buffer', null] as const)('gives Buffers, never stripped, with encoding %s', async (encoding) => {
    const r = await run(...sh("printf '\\303\\251\\n'; printf '\\377' >&2"), { backend, isolation, encoding });
    expect(Buffer.isBuffer(r.stdout)).toBe(true);
    expect(r.stdout).toEqual(Buffer.from([0xc3, 0xa9, 0x0a]));
    expect(r.stderr).toEqual(Buffer.from([0xff]));
  });

  it.each([
    ['utf8', 'é'],
    ['latin1', 'Ã©'],
    ['hex', 'c3a9'],
    ['base64', 'w6k='],
  ] as const)('decodes the whole output with encoding %s', async (encoding, expected) => {
    const r = await run(...sh("printf '\\303'; sleep 0.05; printf '\\251'"), { backend, isolation, encoding });
    expect(r.stdout).toBe(expected);
  });

  it('lines: arrays of lines, without their newlines unless stripFinalNewline is false', async () => {
    const r = await run(...sh('printf "a\\nb\\r\\n\\nc"; printf "e\\n" >&2'), { backend, isolation, lines: true });
    expect(r.stdout).toEqual(['a', 'b', '', 'c']);
    expect(r.stderr).toEqual(['e']);
    const kept = await run(...sh('printf "a\\nb\\n"'), { backend, isolation, lines: true, stripFinalNewline: false });
    expect(kept.stdout).toEqual(['a\n', 'b\n']);
    expect(kept.stderr).toEqual([]);
  });

  it('all: stdout and stderr interleaved in the order they were read', async () => {
    // Each write comes well after the previous one has been read, so the order is known.
    const script =
      'echo 1; sleep 0.1; echo 2 >&2; sleep 0.1; echo 3; sleep 0.1; printf "\\303" >&2; sleep 0.1; echo 4; sleep 0.1; printf "\\251" >&2';
    const r = await run(...sh(script), { backend, isolation, all: true });
    // A character cut in two on stderr is decoded whole, where its end arrived.
    expect(r.all).toBe('1\n2\n3\n4\né');
    expect(r.stdout).toBe('1\n3\n4');
    expect(r.stderr).toBe('2\né');
    const lines = await run(...sh('echo 1; sleep 0.1; echo 2 >&2'), { backend, isolation, all: true, lines: true });
    expect(lines.all).toEqual(['1', '2']);
  });

  it('writes string and byte input to stdin, then closes it', async () => {
    for (const input of ['héllo', Buffer.from('héllo'), new Uint8Array(Buffer.from('héllo'))]) {
      const r = await run('cat', [], { backend, isolation, input });
      expect(r.stdout).toBe('héllo');
    }
  });

  it('writes megabytes of input while reading megabytes of output on both pipes, without deadlock', async () => {
    const input = 'x'.repeat(8 * 1024 * 1024);
    const r = await run(...sh('head -c 3000000 /dev/zero >&2; cat; head -c 3000000 /dev/zero >&2'), {
      backend,
      input,
      encoding: 'buffer',
    });
    expect((r.stdout as Buffer).length).toBe(input.length);
    expect((r.stderr as Buffer).length).toBe(6_000_000);
  });

  it('connects stdin to /dev/null without input, and closes a stdin pipe at once', async () => {
    const ignored = await run(...sh('readlink /proc/self/fd/0; cat'), { backend, isolation });
    expect(ignored.stdout).toBe('/dev/null');
    const piped = await run('cat', [], { backend, isolation, stdio: ['pipe', 'pipe', 'pipe'] });
    expect(piped.stdout).toBe('');
    expect(piped.status.success).toBe(true);
  });

  it('does not fail when the child exits without reading its input', async () => {
    const r = await run('true', [], { backend, isolation, input: Buffer.alloc(4 * 1024 * 1024, 'x') });
    expect(r.status.success).toBe(true);
  });

  it('captures several MiB of output, whole and in order', async () => {
    const r = await run('seq', ['1', '1000000'], { backend, isolation, stripFinalNewline: false });
    expect(r.stdout.length).toBe(seq(1_000_000).length);
    expect(r.stdout === seq(1_000_000)).toBe(true);
  });

  it('keeps output written just before the exit, every time', async () => {
    const runs = await Promise.all(
      Array.from({ length: 40 }, () =>
        run(...sh('seq 1 3000; printf end >&2; exit 7'), {
          backend,
          isolation,
          reject: false,
          stripFinalNewline: false,
        }),
      ),
    );
    for (const r of runs) {
      expect(r.stdout === seq(3000)).toBe(true);
      expect(r.stderr).toBe('end');
      expect(r.exitCode).toBe(7);
    }
  });

  it('keeps output written after stdout is closed, and after the child has exited', async () => {
    const closedEarly = await run(...sh('printf early; exec 1>&-; sleep 0.1; printf late >&2'), { backend, isolation });
    expect(closedEarly.stdout).toBe('early');
    expect(closedEarly.stderr).toBe('late');
    // The subshell keeps the pipes and writes once its parent has been reaped.
    const descendant = await run(...sh('(sleep 0.1; printf late) & printf early'), { backend, isolation });
    expect(descendant.stdout).toBe('earlylate');
    expect(descendant.status.success).toBe(true);
  });

  it('maxBuffer: stops the child with killSignal and rejects, keeping what was read', async () => {
    const err = await rejection(run('yes', [], { backend, isolation, maxBuffer: 1000, stripFinalNewline: false }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
    expect(err.shortMessage).toBe("Command's stdout was larger than 1000 bytes: yes");
    expect(err.stdout).toBe('y\n'.repeat(500));
    expect(err.stderr).toBe('');
    expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
    expect(err.signal).toBe('SIGTERM');
    expect(err.pid).toBe((err.status as ProcessStatus).pid);
  });

  it('maxBuffer applies to stderr too, and Buffers are cut at maxBuffer bytes', async () => {
    const err = await rejection(
      run(...sh('echo ok; exec yes >&2'), {
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
    const r = await run('printf', ['12345'], { backend, isolation, maxBuffer: 5 });
    expect(r.stdout).toBe('12345');
  });

  it('a timeout rejects with ETIMEDOUT once the child is reaped', async () => {
    const err = await rejection(run(...sh('echo partial; exec sleep 30'), { backend, isolation, timeout: 100 }));
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.shortMessage).toBe("Command timed out after 100 milliseconds: /bin/sh -c 'echo partial; exec sleep 30'");
    expect(err.stdout).toBe('partial');
    expect(err.signal).toBe('SIGTERM');
  });

  it('a timeout escalates to SIGKILL after killGraceMs for a child that ignores killSignal', async () => {
    const err = await rejection(
      run(...sh('trap "" TERM; echo ready; while :; do sleep 0.05; done'), {
        backend,
        isolation,
        timeout: 200,
        killGraceMs: 100,
      }),
    );
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.stdout).toBe('ready');
    expect(err.signal).toBe('SIGKILL');
  });

  it('captures only the slots that are pipes; the caller’s stdio wins', async () => {
    const r = await run(...sh('echo out; echo err >&2'), { backend, isolation, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(r.stdout).toBe('out');
    expect(r.stderr).toBe('');
    const none = await run(...sh('echo out'), { backend, isolation, stdio: 'ignore', encoding: 'buffer' });
    expect(none.stdout).toEqual(Buffer.alloc(0));
  });

  it('takes the options in the place of args', async () => {
    const r = await run('pwd', { backend, isolation, cwd: '/' });
    expect(r.stdout).toBe('/');
  });
});

describe.each(modesHere())('runPrivate only ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('writes a Readable given as input to stdin, then closes it', async () => {
    const r = await runPrivate('cat', [], {
      backend,
      isolation,
      input: Readable.from([Buffer.from('hé'), Buffer.from('llo')]),
    });
    expect(r.stdout).toBe('héllo');
    expect(r.status.success).toBe(true);
  });

  it('stops the child and rejects with ERR_PRIVATE_PROCESS_IO, the cause the error of a failing input stream', async () => {
    const boom = new Error('boom');
    const input = new Readable({ read: () => input.destroy(boom) });
    const err = await rejection(runPrivate('cat', [], { backend, isolation, input }));
    expect(err.code).toBe('ERR_PRIVATE_PROCESS_IO');
    expect(err.cause).toBe(boom);
    expect(err.shortMessage).toBe('Command failed reading its output or writing its input: cat\nboom');
    expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
    expect(input.listenerCount('error')).toBe(0);
  });
});

describe.each(modesHere())('runPrivate with an input stream that breaks off ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it.each(['before', 'during'])(
    'an input destroyed without ending (%s the run) stops the run: ERR_PRIVATE_PROCESS_IO, caused by ERR_STREAM_PREMATURE_CLOSE',
    async (when) => {
      const input = new PassThrough();
      input.write('partial\n');
      if (when === 'before') input.destroy();
      // Only ends a run that would otherwise wait for ever (cat waits for the end of its input).
      const ac = new AbortController();
      const run = runPrivate('cat', [], { backend, isolation, input, signal: ac.signal });
      if (when === 'during') setImmediate(() => input.destroy());
      try {
        const err = await within(rejection(run), 'the run to settle');
        expect(err.code).toBe('ERR_PRIVATE_PROCESS_IO');
        expect(err.cause).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
        expect(input.listenerCount('error')).toBe(0);
      } finally {
        ac.abort();
        await run.catch(() => undefined);
      }
    },
  );
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
    [
      'lines with Buffers',
      () => runPrivate('true', [], { lines: true, encoding: 'buffer' } as never),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'a non-boolean stripFinalNewline',
      () => runPrivate('true', [], { stripFinalNewline: 1 as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
    ['a non-boolean all', () => runPrivate('true', [], { all: 'yes' as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    [
      'a shell that is neither a boolean nor a path',
      () => runPrivate('echo', ['$HOME'], { shell: 1 as never }),
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    ],
    [
      'runPrivateSync with a signal, which nothing could abort',
      () => runPrivateSync('true', [], { signal: new AbortController().signal } as never),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'runPrivateSync with a stream as input',
      () => runPrivateSync('cat', [], { input: Readable.from(['x']) as never }),
      'ERR_INVALID_ARG_VALUE',
      TypeError,
    ],
    [
      'runPrivateSync with a bad maxBuffer',
      () => runPrivateSync('true', [], { maxBuffer: -1 }),
      'ERR_OUT_OF_RANGE',
      RangeError,
    ],
  ])('throws synchronously for %s', (_, call, code, type) => {
    expect(call).toThrow(type);
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('runPrivate module formats', () => {
  it('is the same function through require() and import', () => {
    expect(createRequire(import.meta.url)('private-process').runPrivate).toBe(runPrivate);
    expect(createRequire(import.meta.url)('private-process').runPrivateSync).toBe(runPrivateSync);
  });
});
