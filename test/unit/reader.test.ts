import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scaled } from '../helpers/time.mjs';

interface Source {
  on(event: string, listener: (...args: any[]) => void): Source;
  once(event: string, listener: (...args: any[]) => void): Source;
  pause(): Source;
  resume(): Source;
  destroy(): Source;
}
const require = createRequire(import.meta.url);
const { readPipe, PipeReader } = require('../../dist/cjs/reader.js') as {
  readPipe(fd: number, fallback: () => Source): Source;
  PipeReader: new (...args: never[]) => Source;
};
const { native } = require('../../dist/cjs/native.js') as {
  native: { readStart(fd: number, onRead: (...args: unknown[]) => void): unknown };
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A FIFO's two ends, this process's: [read end, write end]. */
function fifo(): [number, number] {
  const dir = mkdtempSync(path.join(tmpdir(), 'pp-reader-'));
  dirs.push(dir);
  const file = path.join(dir, 'fifo');
  execFileSync('mkfifo', [file]);
  const r = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  return [r, openSync(file, 'w')];
}

const isOpen = (fd: number): boolean => existsSync(`/proc/self/fd/${fd}`);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const procFd = process.platform === 'linux' ? '' : ' (skipped: Linux only, where /proc/self/fd tells which are open)';
describe.skipIf(procFd !== '')(`the addon reads a pipe for runPrivate (PipeReader)${procFd}`, () => {
  it("hands over each chunk, then 'close' at the end of the pipe, and closes the descriptor", async () => {
    const [r, w] = fifo();
    const source = readPipe(r, () => expect.unreachable('the addon polls a pipe'));
    expect(source).toBeInstanceOf(PipeReader);
    const chunks: string[] = [];
    source.on('data', (c: Buffer) => chunks.push(c.toString()));
    writeSync(w, 'one');
    closeSync(w);
    await once(source as never, 'close');
    expect(chunks.join('')).toBe('one');
    // Closed with the poll, once the loop has let go of it: at the end of this turn.
    await turn();
    await turn();
    expect(isOpen(r)).toBe(false);
  });

  it('hands over the last chunk and the end of the pipe in one call when the writer has gone', async () => {
    const [r, w] = fifo();
    writeSync(w, 'last');
    closeSync(w);
    const readStart = native.readStart;
    const calls: unknown[][] = [];
    native.readStart = (fd, onRead) =>
      readStart(fd, (...args: unknown[]) => {
        calls.push(args.map((a) => (Buffer.isBuffer(a) ? a.toString() : a)));
        onRead(...args);
      });
    let source: Source;
    try {
      source = readPipe(r, () => expect.unreachable('the addon polls a pipe'));
    } finally {
      native.readStart = readStart;
    }
    const chunks: string[] = [];
    source.on('data', (c: Buffer) => chunks.push(c.toString()));
    await once(source as never, 'close');
    expect(chunks).toEqual(['last']);
    expect(calls).toEqual([['last', true]]);
  });

  it('reads nothing while paused, and what the pipe holds once resumed', async () => {
    const [r, w] = fifo();
    const source = readPipe(r, () => expect.unreachable('the addon polls a pipe'));
    const chunks: string[] = [];
    source.on('data', (c: Buffer) => chunks.push(c.toString()));
    source.pause();
    writeSync(w, 'held');
    await new Promise((resolve) => setTimeout(resolve, scaled(50)));
    expect(chunks).toEqual([]);
    source.resume();
    closeSync(w);
    await once(source as never, 'close');
    expect(chunks.join('')).toBe('held');
  });

  it("destroy closes the pipe at once: 'close' on a later tick, the writer then gets EPIPE", async () => {
    const [r, w] = fifo();
    const source = readPipe(r, () => expect.unreachable('the addon polls a pipe'));
    let closed = false;
    source.once('close', () => (closed = true));
    source.destroy();
    expect(closed).toBe(false);
    await turn();
    await turn();
    expect(closed).toBe(true);
    expect(isOpen(r)).toBe(false);
    expect(() => writeSync(w, 'x')).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    closeSync(w);
  });

  it('falls back to the stream it is given for a descriptor the loop cannot poll, leaving it open', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-reader-'));
    dirs.push(dir);
    // epoll refuses a regular file (EPERM).
    const fd = openSync(path.join(dir, 'file'), 'w+');
    const fallback = { fallback: true } as unknown as Source;
    expect(readPipe(fd, () => fallback)).toBe(fallback);
    expect(isOpen(fd)).toBe(true);
    closeSync(fd);
  });
});
