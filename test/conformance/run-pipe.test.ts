import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunError, runPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { rejection, within } from '../helpers/assert.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { processState } from '../helpers/process.js';

/**
 * Resolves with 'stalled' once pid sleeps (a writer whose pipe is full) at two looks with a timer
 * between them, while `read()`, what this process has read of it, stays the same: the event loop
 * polled the pipe meanwhile and took nothing. 'exited' once pid has exited.
 */
async function stalled(pid: number, read: () => number): Promise<'stalled' | 'exited'> {
  for (;;) {
    const before = read();
    const first = processState(pid);
    await new Promise((r) => setTimeout(r, 20));
    const second = processState(pid);
    if (first === null || first === 'Z' || second === null || second === 'Z') return 'exited';
    if (first === 'S' && second === 'S' && read() === before) return 'stalled';
  }
}

describe.each(modesHere())('runPrivate(...).pipe() ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  const o = { backend, isolation };

  it("feeds the source's stdout to the destination's stdin; the result is the destination's, the source's in pipedFrom", async () => {
    const a = runPrivate('printf', ['b\\na\\n'], o);
    const b = runPrivate('sort', [], { ...o, stdio: 'pipe' });
    const r = await within(a.pipe(b), 'the pipeline');
    expect(r.stdout).toBe('a\nb');
    expect(r).toBe(await b);
    expect(r.pipedFrom).toEqual([await a]);
    expect(r.pipedFrom[0]!.stdout).toBe('b\na');
    expect((await a).pipedFrom).toEqual([]);
  });

  it('takes a file, args and options for the destination, and chains', async () => {
    const r = await within(
      runPrivate('seq', ['1', '20000'], o)
        .pipe('sort', ['-rn'], o)
        .pipe('head', ['-n', '2'], { ...o, stdio: ['pipe', 'pipe', 'ignore'] }),
      'the pipeline',
    );
    expect(r.stdout).toBe('20000\n19999');
    expect(r.command).toBe('head -n 2');
    expect(r.pipedFrom[0]!.command).toBe('sort -rn');
    expect(r.pipedFrom[0]!.pipedFrom[0]!.command).toBe('seq 1 20000');
  });

  it('loses no byte on the way, and the source keeps its own copy', async () => {
    const r = await within(
      runPrivate('head', ['-c', '5000000', '/dev/urandom'], { ...o, encoding: 'buffer' }).pipe('cat', [], {
        ...o,
        encoding: 'buffer',
      }),
      'the pipeline',
    );
    expect((r.stdout as Buffer).length).toBe(5_000_000);
    expect((r.stdout as Buffer).equals(r.pipedFrom[0]!.stdout as Buffer)).toBe(true);
  });

  it('a destination that does not read yet stops the source in its write, rather than this process buffering its output', async () => {
    const flag = path.join(tmpdir(), `pp-pipe-flag-${process.pid}-${backend}-${isolation}`);
    const a = runPrivate('head', ['-c', '8000000', '/dev/zero'], { ...o, encoding: 'buffer' });
    let read = 0;
    a.stdout!.on('data', (c: Buffer) => (read += c.length));
    const script = 'while [ ! -e "$0" ]; do sleep 0.02; done; rm -f "$0"; wc -c';
    const pipeline = a.pipe('/bin/sh', ['-c', script, flag], o);
    try {
      expect(
        await within(
          stalled(a.pid!, () => read),
          'the source to stall or exit',
        ),
      ).toBe('stalled');
      expect(read).toBeLessThan(8_000_000);
    } finally {
      writeFileSync(flag, '');
    }
    const r = await within(pipeline, 'the pipeline');
    expect(r.stdout.trim()).toBe('8000000');
    expect((r.pipedFrom[0]!.stdout as Buffer).length).toBe(8_000_000);
  });

  it('a source piped to two destinations feeds both; one that exits early does not cut the other off', async () => {
    const a = runPrivate('seq', ['1', '100000'], o);
    const [first, count] = await within(
      Promise.all([a.pipe('head', ['-n', '1'], o), a.pipe('wc', ['-l'], o)]),
      'the pipelines',
    );
    expect(first.stdout).toBe('1');
    expect(count.stdout.trim()).toBe('100000');
    expect((await a).stdout.length).toBe(588894);
  });

  it('a run that is over already gives a destination its whole output', async () => {
    const a = runPrivate('seq', ['1', '3'], o);
    await a;
    expect((await within(a.pipe('cat', [], o), 'the pipeline')).stdout).toBe('1\n2\n3');
  });

  it('a destination that exits early closes the source’s output: the source’s SIGPIPE or EPIPE is not a failure of the pipeline', async () => {
    const r = await within(runPrivate('yes', [], o).pipe('head', ['-n', '2'], o), 'the pipeline');
    expect(r.stdout).toBe('y\ny');
    // SIGPIPE, or exit 1 where the child inherits an ignored SIGPIPE and gets EPIPE (the portable backend).
    expect(r.pipedFrom[0]).toMatchObject({ code: 'ERR_PRIVATE_PROCESS_FAILED' });
  });

  it('a source that fails for its own reason while the destination still reads fails the pipeline', async () => {
    const err = await within(
      rejection(runPrivate(...sh('echo x; exec sleep 30'), { ...o, timeout: 100 }).pipe('cat', [], o)),
      'the pipeline',
    );
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it("a source that fails rejects the pipeline with its error; the destination's result says so", async () => {
    const a = runPrivate(...sh('echo partial; exit 3'), o);
    const b = runPrivate('cat', [], { ...o, stdio: 'pipe' });
    const err = await within(rejection(a.pipe(b)), 'the pipeline');
    expect(err).toBe(await rejection(a));
    expect(err).toMatchObject({ code: 'ERR_PRIVATE_PROCESS_FAILED', exitCode: 3 });
    const destination = await b;
    expect(destination.stdout).toBe('partial');
    expect(destination.pipedFrom).toEqual([err]);
  });

  it('a source that cannot start ends the destination’s input, and rejects with its spawn error', async () => {
    const err = await within(rejection(runPrivate('no-such-command-here', [], o).pipe('cat', [], o)), 'the pipeline');
    expect(err).toMatchObject({ code: 'ENOENT', pid: null });
  });

  it("a destination that fails rejects with its own error, the source's result in pipedFrom", async () => {
    const a = runPrivate('echo', ['x'], o);
    const err = await within(rejection(a.pipe(...sh('cat >/dev/null; exit 4'), o)), 'the pipeline');
    expect(isRunError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ERR_PRIVATE_PROCESS_FAILED', exitCode: 4, pipedFrom: [await a] });
  });

  it('a destination that cannot start rejects with its spawn error, and the source is not left running', async () => {
    const a = runPrivate('yes', [], o);
    const err = await within(rejection(a.pipe('no-such-command-here', [], o)), 'the pipeline');
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(await rejection(a)).toMatchObject({ code: 'ERR_PRIVATE_PROCESS_FAILED' });
  });
});

describe('pipe() refuses what cannot be piped, synchronously', () => {
  checkNoLeaks();

  it.each([
    ['a destination whose stdin is not a pipe', () => runPrivate('cat'), 'ERR_INVALID_ARG_VALUE'],
    ['a destination that is not a run', () => 42, 'ERR_INVALID_ARG_TYPE'],
  ])('refuses %s', async (_what, destination, code) => {
    const a = runPrivate('echo', ['x']);
    const b = destination();
    expect(() => a.pipe(b as never)).toThrow(expect.objectContaining({ code }));
    await a;
    if (b instanceof Promise) await b;
  });

  it('refuses a destination whose stdin was taken already', async () => {
    const a = runPrivate('echo', ['x']);
    const b = runPrivate('cat', [], { stdio: 'pipe' });
    b.stdin!.end();
    expect(() => a.pipe(b)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await Promise.all([a, b]);
  });

  it('refuses a source whose stdout is not a pipe, and input for the destination, before starting it', async () => {
    const a = runPrivate('echo', ['x'], { stdio: ['ignore', 'ignore', 'pipe'] });
    expect(() => a.pipe('cat')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const c = runPrivate('echo', ['x']);
    expect(() => c.pipe('cat', [], { input: 'y' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => c.pipe('cat', [], { stdio: ['ignore', 'pipe', 'pipe'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    await Promise.all([a, c]);
  });
});
