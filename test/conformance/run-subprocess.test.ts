import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isRunError, runPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { rejection, within } from '../helpers/assert.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { scaled } from '../helpers/time.mjs';

/** Everything a readable stream gives until its end, as one Buffer. */
function collect(stream: NodeJS.ReadableStream, encoding?: BufferEncoding): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c, encoding) : c));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

describe.each(modesHere())('runPrivate returns the live subprocess ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('is a Promise of the result that has the pid, kill() and wait() of the running child', async () => {
    const sub = runPrivate(...sh('exec sleep 30'), { backend, isolation });
    expect(sub).toBeInstanceOf(Promise);
    expect(typeof sub.pid).toBe('number');
    expect(sub.kill()).toBe(true);
    const err = await rejection(sub);
    expect(isRunError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ERR_PRIVATE_PROCESS_FAILED', signal: 'SIGTERM', pid: sub.pid });
    // Once the child has exited, as the handle's kill(): false, no system call.
    expect(sub.kill('SIGKILL')).toBe(false);
    expect(await rejection(sub.wait())).toBe(err);
    expect(sub.wait()).toBe(sub.wait());
  });

  const ownStreams =
    backend === 'portable' ? " (skipped: the portable backend's pipes are child_process's streams)" : '';
  it.skipIf(ownStreams !== '')(
    `captures its output without a stream of its own: no pipe handle while nobody streams it${ownStreams}`,
    async () => {
      const pipes = (): number => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length;
      const before = pipes();
      const sub = runPrivate(...sh('echo out; echo err >&2; exec sleep 30'), { backend, isolation });
      const during = pipes();
      // Asking for stdout makes a stream of the capture, from its first byte: still no pipe handle.
      const streamed = collect(sub.stdout!);
      const wrote = [sub.stdout!, sub.stderr!].map((s) => new Promise((resolve) => s.once('data', resolve)));
      expect(pipes()).toBe(before);
      await within(Promise.all(wrote), 'the output');
      expect(sub.kill()).toBe(true);
      const err = await rejection(sub);
      expect(during).toBe(before);
      expect(err).toMatchObject({ stdout: 'out', stderr: 'err', signal: 'SIGTERM' });
      expect((await streamed).toString()).toBe('out\n');
    },
  );

  it('wait() and await give the same result object', async () => {
    const sub = runPrivate(...sh('echo out'), { backend, isolation });
    const r = await sub;
    expect(r.stdout).toBe('out');
    expect(await sub.wait()).toBe(r);
  });

  it('streams stdout while the child runs, and takes stdin when fd 0 is a pipe without input', async () => {
    const sub = runPrivate(...sh('echo first; read x; echo "got $x"; echo err >&2'), {
      backend,
      isolation,
      stdio: 'pipe',
    });
    const stdin = sub.stdin!; // in the tick of the call: else it is closed
    const streamed = collect(sub.stdout!);
    const streamedErr = collect(sub.stderr!);
    // The child waits for its input, which is written only once its first line has been read here.
    await within(new Promise((resolve) => sub.stdout!.once('data', resolve)), 'the first line');
    stdin.end('it\n');
    const r = await within(sub, 'the run');
    expect(r.stdout).toBe('first\ngot it');
    expect((await streamed).toString()).toBe('first\ngot it\n');
    expect((await streamedErr).toString()).toBe('err\n');
  });

  it('gives every byte to both the stream and the result, whatever the stream is set to', async () => {
    const sub = runPrivate('head', ['-c', '3000000', '/dev/urandom'], { backend, isolation, encoding: 'buffer' });
    sub.stdout!.setEncoding('latin1');
    const streamed = collect(sub.stdout!, 'latin1');
    const r = await sub;
    expect((r.stdout as Buffer).length).toBe(3_000_000);
    expect((await streamed).equals(r.stdout as Buffer)).toBe(true);
  });

  it('a stream taken after some output still starts at the first byte', async () => {
    const sub = runPrivate(...sh('echo one; echo two'), { backend, isolation });
    await sub;
    expect((await collect(sub.stdout!)).toString()).toBe('one\ntwo\n');
  });

  it('has null streams for slots that are not pipes, and no stdin when the run writes input itself', async () => {
    const sub = runPrivate('cat', [], { backend, isolation, input: 'x', stdio: ['pipe', 'pipe', 'ignore'] });
    expect(sub.stdin).toBeNull();
    expect(sub.stderr).toBeNull();
    expect((await sub).stdout).toBe('x');
    const plain = runPrivate('true', [], { backend, isolation });
    expect(plain.stdin).toBeNull();
    await plain;
  });

  it('a stdin pipe nobody takes is closed at once, as before', async () => {
    const r = await within(runPrivate('cat', [], { backend, isolation, stdio: 'pipe' }), 'the run');
    expect(r.stdout).toBe('');
  });

  it('a run that could not start has a null pid and streams, and kill() returns false', async () => {
    const sub = runPrivate('no-such-command-here', [], { backend, isolation });
    expect(sub.pid).toBeNull();
    expect(sub.stdout).toBeNull();
    expect(sub.stdin).toBeNull();
    expect(sub.kill()).toBe(false);
    expect(await rejection(sub)).toMatchObject({ code: 'ENOENT' });
  });
});

describe.each(modesHere())('a subprocess nobody awaits ($name)', ({ backend }) => {
  it('lets the process end once its children have, with one unhandled rejection for the run that failed', async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'run-unawaited.cjs');
    const env = { ...process.env, PRIVATE_PROCESS_BACKEND: backend };
    const { stdout } = await promisify(execFile)(process.execPath, [fixture], { env, timeout: scaled(20_000) });
    expect(stdout).toBe('started\nunhandled ERR_PRIVATE_PROCESS_FAILED\n');
  });
});
