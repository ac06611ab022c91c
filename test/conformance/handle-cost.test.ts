/**
 * What a handle does per spawn that nobody asked for: the native calls of
 * a spawn and its wait(), the loop turns it queues, the objects it makes.
 * Each test counts one of them, never a time.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forkPrivate, spawnPrivate } from '../../esm/index.mjs';
import { native } from '../../dist/cjs/native.js';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';

const require = createRequire(import.meta.url);
const restores: Array<() => void> = [];
afterEach(() => {
  for (const restore of restores.splice(0)) restore();
});

/**
 * Records every call to the native object's functions, as [name] ([name, on] for ref), but
 * capabilities(): the probe of the backends, made once per process by the first spawn.
 */
function recordNativeCalls(): unknown[][] {
  const calls: unknown[][] = [];
  const target = native as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(target)) {
    if (typeof fn !== 'function' || name === 'capabilities') continue;
    target[name] = (...args: unknown[]): unknown => {
      calls.push(name === 'ref' ? [name, args[1]] : [name]);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
    restores.push(() => {
      target[name] = fn;
    });
  }
  return calls;
}

/** Counts the setImmediate calls that the handle's own code makes. */
function countHandleImmediates(): { count: number } {
  const counter = { count: 0 };
  const original = globalThis.setImmediate;
  globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
    if (/dist[\\/]cjs[\\/]handle/.test(new Error().stack ?? '')) counter.count++;
    return original(...args);
  }) as typeof setImmediate;
  restores.push(() => {
    globalThis.setImmediate = original;
  });
  return counter;
}

/** Counts the StringDecoders made through node:string_decoder (the IPC wire's). */
function countStringDecoders(): { count: number } {
  const counter = { count: 0 };
  const mod = require('node:string_decoder') as typeof import('node:string_decoder');
  const Original = mod.StringDecoder;
  mod.StringDecoder = class extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      counter.count++;
    }
  } as typeof Original;
  restores.push(() => {
    mod.StringDecoder = Original;
  });
  return counter;
}

describe.each(modesHere())('what a handle costs per spawn ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('a spawn and its wait() make one native call between them', async () => {
    const calls = recordNativeCalls();
    await spawnPrivate('/bin/true', [], { backend, isolation, stdio: 'ignore' }).wait();
    expect(calls).toEqual([['spawn']]);
  });

  it('unref() then wait() tells the backend once; close() then wait() turns it off and on again', async () => {
    const calls = recordNativeCalls();
    const h = spawnPrivate('/bin/true', [], { backend, isolation, stdio: 'ignore' });
    h.unref();
    await h.wait();
    expect(calls).toEqual([['spawn'], ['ref', false]]);

    calls.splice(0);
    const closed = spawnPrivate('/bin/sleep', ['30'], { backend, isolation, stdio: 'ignore' });
    closed.close();
    const reaped = closed.wait();
    closed.kill('SIGKILL');
    await reaped;
    expect(calls).toEqual([['spawn'], ['ref', false], ['ref', true], ['signal']]);
  });

  it('a child without output streams queues no turn of the loop to drain them, and still closes after its exit', async () => {
    const immediates = countHandleImmediates();
    const h = spawnPrivate('/bin/true', [], { backend, isolation, stdio: 'ignore' });
    const events: string[] = [];
    h.on('exit', () => events.push('exit'));
    const closed = once(h, 'close').then(() => events.push('close'));
    await h.wait();
    await closed;
    expect(events).toEqual(['exit', 'close']);
    expect(immediates.count).toBe(0);
  });

  it('a child without an IPC channel gets no IPC decoder; one with a channel does', async () => {
    const decoders = countStringDecoders();
    await spawnPrivate('/bin/true', [], { backend, isolation, stdio: 'ignore' }).wait();
    expect(decoders.count).toBe(0);
    const forked = forkPrivate(path.join(__dirname, '..', 'fixtures', 'hello.cjs'), [], {
      backend,
      isolation,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    await forked.wait();
    expect(decoders.count).toBeGreaterThan(0);
  });
});
