import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, inject, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { readAll } from '../helpers/stream.js';

interface Inspected {
  nonblocking: number[];
}

/** nonblocking tells whether O_NONBLOCK is set on the open file description under fd here. */
function nonblocking(fd: number): boolean {
  const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
  return (parseInt(flags, 8) & constants.O_NONBLOCK) !== 0;
}

/** streamFd is the descriptor under a stream the package or child_process made. */
function streamFd(stream: Readable | null): number {
  return (stream as unknown as { _handle: { fd: number } })._handle.fd;
}

/** The bytes up to the first `text` on a stream. */
async function until(stream: Readable, text: string): Promise<void> {
  let seen = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    seen += chunk as string;
    if (seen.includes(text)) return;
  }
  throw new Error(`the stream ended before ${JSON.stringify(text)}`);
}

/** A turn of the event loop: every event already pending has been handled. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(modesHere())('descriptors reach the child blocking ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  const inspect = inject('helpers').inspect;

  async function inspectChild(stdio: unknown[]): Promise<Inspected> {
    const h = spawnPrivate(inspect, [], { backend, isolation, stdio: stdio as never });
    const [out, status] = await Promise.all([readAll(h.stdout), h.wait()]);
    expect(status.exitCode).toBe(0);
    return JSON.parse(out) as Inspected;
  }

  it('a non-blocking fd number becomes a blocking stdin, here and in the child', async () => {
    const fd = openSync('/dev/zero', constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(nonblocking(fd)).toBe(true);
      const child = await inspectChild([fd, 'pipe', 'ignore']);
      expect(child.nonblocking).toEqual([]);
      // The flag belongs to the open file description, which the parent shares.
      expect(nonblocking(fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  const above = unlessPortable(backend, 'libuv clears O_NONBLOCK on fds 0 to 2 only');
  it.skipIf(above !== '')(`a non-blocking fd given to a slot above 2 reaches it blocking${above}`, async () => {
    const fd = openSync('/dev/zero', constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(nonblocking(fd)).toBe(true);
      const child = await inspectChild(['ignore', 'pipe', 'ignore', fd]);
      expect(child.nonblocking).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });

  it("'inherit' of a non-blocking stdin (a pipe Node opened as process.stdin) reaches the child blocking", async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'inherit-nonblocking.cjs');
    const cp = spawn(process.execPath, [fixture, inspect, backend, isolation], { stdio: 'pipe' });
    try {
      const [out, err] = await Promise.all([readAll(cp.stdout), readAll(cp.stderr), once(cp, 'close')]);
      expect(JSON.parse(err)).toEqual({ before: true, exitCode: 0 });
      expect((JSON.parse(out) as Inspected).nonblocking).toEqual([]);
    } finally {
      if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
      cp.stdin.destroy();
    }
  });

  it("one child's stdout stream, non-blocking here, is the next child's blocking stdin", async () => {
    const a = spawnPrivate('/bin/sh', ['-c', 'read go'], { backend, isolation, stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      expect(nonblocking(streamFd(a.stdout))).toBe(true);
      const child = await inspectChild([a.stdout, 'pipe', 'ignore']);
      expect(child.nonblocking).toEqual([]);
    } finally {
      a.stdout!.destroy();
      a.stdin!.end('go\n');
      await a.wait();
    }
  });

  it('stops reading a stream it hands to a child: every byte goes to the child, none to this event loop', async () => {
    // The producer writes, says so on stderr, and waits for a line on its stdin.
    const a = spawnPrivate('/bin/sh', ['-c', 'printf payload; echo written >&2; read go'], {
      backend,
      isolation,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let taken = 0;
    // This process was reading it: a read here now would be a read of a blocking descriptor
    // (the child cleared O_NONBLOCK), which would stop this whole event loop while the pipe is empty.
    a.stdout!.on('data', (chunk: Buffer) => (taken += chunk.length));
    // The consumer reads its stdin only once told to, on fd 3.
    const b = spawnPrivate('/bin/sh', ['-c', 'read go <&3; exec cat'], {
      backend,
      isolation,
      stdio: [a.stdout, 'pipe', 'ignore', 'pipe'],
    });
    let parentRead: [number, number];
    try {
      await until(a.stderr!, 'written');
      await turn();
      await turn();
      parentRead = [taken, a.stdout!.readableLength];
    } finally {
      a.stdout!.destroy();
      (b.stdio[3] as Writable).end('go\n');
      a.stdin!.end('go\n');
      a.stderr!.resume();
    }
    const [out, sa, sb] = await Promise.all([readAll(b.stdout), a.wait(), b.wait()]);
    (b.stdio[3] as Writable).destroy();
    expect(parentRead).toEqual([0, 0]);
    expect(out).toBe('payload');
    expect([sa.exitCode, sb.exitCode]).toEqual([0, 0]);
  });
});
