import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { forkPrivate, spawnPrivate, type PrivateHandle } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { scaled } from '../helpers/time.mjs';

const fixtures = path.join(__dirname, '..', 'fixtures');
const echo = path.join(fixtures, 'ipc-echo.cjs');

/** The next message the handle receives. */
async function nextMessage(h: PrivateHandle): Promise<unknown> {
  const [m] = await once(h, 'message');
  return m;
}

/** The next `n` messages the handle receives (several may come in one turn of the event loop). */
function messages(h: PrivateHandle, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) =>
    h.on('message', (m) => {
      if (got.push(m) === n) resolve(got);
    }),
  );
}

describe.each(modesHere())('the IPC channel of a private child ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it.each(['json', 'advanced'] as const)(
    'forkPrivate gives the child process.send and process.on("message") (%s)',
    async (serialization) => {
      const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit', serialization });
      expect(h.connected).toBe(true);
      expect(h.stdio[3]).toBeNull();
      let called: unknown = 'not yet';
      expect(h.send({ a: [1, 'two', null] }, (err) => (called = err))).toBe(true);
      expect(await nextMessage(h)).toEqual({ echo: { a: [1, 'two', null] } });
      expect(called).toBeNull();
      h.disconnect();
      expect(h.connected).toBe(false);
      await once(h, 'disconnect');
      expect((await h.wait()).exitCode).toBe(0);
    },
  );

  it("'advanced' carries what JSON cannot: Buffers, Maps, Sets, BigInts, Dates, cycles", async () => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit', serialization: 'advanced' });
    const cyclic: Record<string, unknown> = { n: 10n ** 30n };
    cyclic.self = cyclic;
    const message = {
      b: Buffer.from([0, 1, 255]),
      u: new Uint16Array([1, 65535]),
      m: new Map([[1, 'one']]),
      s: new Set(['x']),
      d: new Date(0),
      cyclic,
    };
    h.send(message);
    const { echo: back } = (await nextMessage(h)) as { echo: typeof message };
    expect(Buffer.from(back.b)).toEqual(Buffer.from([0, 1, 255]));
    expect(back.u).toEqual(new Uint16Array([1, 65535]));
    expect(back.m).toEqual(new Map([[1, 'one']]));
    expect(back.s).toEqual(new Set(['x']));
    expect(back.d).toEqual(new Date(0));
    expect(back.cyclic.self).toBe(back.cyclic);
    expect(back.cyclic.n).toBe(10n ** 30n);
    h.disconnect();
    await h.wait();
  });

  it.each(['json', 'advanced'] as const)('carries messages of several MiB both ways (%s)', async (serialization) => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit', serialization });
    const big = 'x'.repeat(4 * 1024 * 1024) + 'é';
    const got = messages(h, 2);
    h.send(big);
    h.send('second');
    expect(await got).toEqual([{ echo: big }, { echo: 'second' }]);
    h.disconnect();
    await h.wait();
  });

  /** A child whose 'ipc' slot is `fd`, every other fd /dev/null, answers on that channel. */
  async function channelAt(fd: number): Promise<void> {
    const stdio: Array<'ipc' | 'ignore'> = ['ignore', 'ignore', 'ignore'];
    stdio[fd] = 'ipc';
    const h = spawnPrivate(process.execPath, [echo], { backend, isolation, stdio });
    expect(h.connected).toBe(true);
    expect(h.stdio[fd]).toBeNull();
    // The child's Node finds the channel through NODE_CHANNEL_FD only.
    const got = messages(h, 2);
    h.send('first');
    h.send({ at: fd });
    // A one-way pipe in place of the socket pair never answers: that fails here, with the child killed.
    const answers = await Promise.race([got, delay(scaled(15_000), 'no answer', { ref: false })]);
    if (answers === 'no answer') h.kill('SIGKILL');
    expect(answers).toEqual([{ echo: 'first' }, { echo: { at: fd } }]);
    h.disconnect();
    await once(h, 'disconnect');
    expect((await h.wait()).exitCode).toBe(0);
  }

  const onStdin = unlessPortable(backend, "its stream of a child's fd 0 is write-only, so is a channel there");
  it.skipIf(onStdin !== '')(
    `an 'ipc' slot on fd 0 is a channel both ways, at that fd (NODE_CHANNEL_FD)${onStdin}`,
    () => channelAt(0),
  );
  it.each([1, 2])("an 'ipc' slot on fd %i is a channel both ways, at that fd (NODE_CHANNEL_FD)", channelAt);

  it('send() returns false once more than 128 KiB wait to be written (back-pressure)', async () => {
    // sleep never reads its end of the channel.
    const h = spawnPrivate('sleep', ['60'], { backend, isolation, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const disconnected = once(h, 'disconnect');
    const results: boolean[] = [];
    const written = new Promise<unknown>((resolve) => {
      results.push(h.send('y'.repeat(1024 * 1024), resolve));
    });
    expect(results).toEqual([false]);
    expect(h.connected).toBe(true);
    h.kill('SIGKILL');
    // The child's end closes unread: this end disconnects, and the callback is still called, as child_process calls it.
    await disconnected;
    await written;
    expect((await h.wait()).signal).toBe('SIGKILL');
  });

  it('after disconnect(), send() fails with ERR_IPC_CHANNEL_CLOSED and disconnect() emits ERR_IPC_DISCONNECTED', async () => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit' });
    h.disconnect();
    const sent = await new Promise<Error | null>((resolve) => expect(h.send('late', resolve)).toBe(false));
    expect(sent).toMatchObject({ code: 'ERR_IPC_CHANNEL_CLOSED' });
    const error = once(h, 'error');
    h.disconnect();
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_DISCONNECTED' });
    expect((await h.wait()).exitCode).toBe(0);
  });

  it("the child's process.disconnect() disconnects this end", async () => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit' });
    h.send('disconnect');
    await once(h, 'disconnect');
    expect(h.connected).toBe(false);
    expect((await h.wait()).exitCode).toBe(0);
  });

  it("Node's internal messages (a cmd starting with NODE_) are not 'message' events", async () => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit' });
    const internal = once(h, 'internalMessage');
    const got = messages(h, 1);
    h.send('internal');
    expect(await got).toEqual(['after-internal']);
    expect((await internal)[0]).toEqual({ cmd: 'NODE_PRIVATE_PROCESS_TEST' });
    h.disconnect();
    await h.wait();
  });

  it('refuses to send a handle (ERR_NOT_SUPPORTED), a string (ERR_INVALID_HANDLE_TYPE) and bad messages (ERR_MISSING_ARGS, ERR_INVALID_ARG_TYPE)', async () => {
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit' });
    expect(() => h.send('m', new Socket())).toThrow(expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }));
    expect(() => h.send('m', 'meow')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_HANDLE_TYPE', name: 'TypeError' }),
    );
    expect(() => h.send(undefined)).toThrow(expect.objectContaining({ code: 'ERR_MISSING_ARGS' }));
    expect(() => h.send(Symbol('s'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    h.disconnect();
    await h.wait();
  });

  it("a stdio with two 'ipc' slots is refused (ERR_IPC_ONE_PIPE), and a bad serialization (ERR_INVALID_ARG_VALUE)", () => {
    expect(() =>
      spawnPrivate('true', [], { backend, isolation, stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'ipc'] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_IPC_ONE_PIPE' }));
    expect(() => forkPrivate(echo, { backend, isolation, serialization: 'xml' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it("the parent's end of the channel is close-on-exec: a child started by child_process does not get it", async () => {
    // child_process closes nothing it was not asked to: whatever lacks close-on-exec shows up in its child.
    const fdsOfAnotherChild = async () =>
      (await promisify(execFile)('sh', ['-c', 'ls /proc/$$/fd'])).stdout.split('\n').filter(Boolean).sort();
    const before = await fdsOfAnotherChild();
    const h = forkPrivate(echo, { backend, isolation, stdio: 'inherit' });
    expect(await fdsOfAnotherChild()).toEqual(before);
    h.disconnect();
    await h.wait();
  });

  it('a child without a channel is not connected: send() fails with ERR_IPC_CHANNEL_CLOSED', async () => {
    const h = spawnPrivate('true', [], { backend, isolation, stdio: 'ignore' });
    expect(h.connected).toBe(false);
    const err = await new Promise((resolve) => h.send('x', resolve));
    expect(err).toMatchObject({ code: 'ERR_IPC_CHANNEL_CLOSED' });
    await h.wait();
  });
});

describe('the channel does not keep the parent alive', () => {
  it.each(['parent', 'child'])('once the %s has disconnected and the child has exited', async (how) => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(fixtures, 'ipc-parent.cjs'), how], {
      timeout: scaled(30_000),
    });
    expect(JSON.parse(stdout)).toEqual([{ echo: 'hi' }, 'disconnect', 'exit 0']);
  });
});
