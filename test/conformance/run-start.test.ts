import { describe, expect, it } from 'vitest';
import { capabilities, isRunError, isSpawnError, runPrivate, runPrivateSync, spawnPrivate } from '../../esm/index.mjs';
import { rejection } from '../helpers/assert.js';
import { liveChildren } from '../helpers/leaks.js';

// A backend that cannot run here, if any: FreeBSD's on Linux, Linux's on FreeBSD, the native ones without an addon.
const missing = (['linux', 'freebsd', 'fallback'] as const).find((b) => !capabilities().backends[b].available);
if (missing === undefined) it.skip('a backend that cannot run here (skipped: every backend can run here)', () => {});

/** What the machine cannot give: no argument is malformed, so none of them is a bad argument. */
const refusals: Array<[string, Record<string, unknown>, string]> = [
  ...(missing === undefined
    ? []
    : [[`a backend that cannot run here ('${missing}')`, { backend: missing }, 'ERR_PRIVATE_BACKEND_UNAVAILABLE']]),
  ['an isolation the backend does not give', { backend: 'portable', isolation: 'hidden' }, 'ERR_NOT_SUPPORTED'],
  ['an identity option the backend cannot set', { backend: 'portable', umask: 0o22 }, 'ERR_NOT_SUPPORTED'],
] as never;

type Run = (file: string, args: string[], options: object) => unknown;

/** Calls a run and returns how it ended: thrown synchronously, rejected, or resolved. */
async function outcome(run: Run, options: object): Promise<{ how: string; error?: Record<string, unknown> & Error }> {
  let p: unknown;
  try {
    p = run('true', ['a b'], options);
  } catch (error) {
    return { how: 'threw', error: error as never };
  }
  if (!(p instanceof Promise)) return { how: 'returned' };
  return { how: 'rejected', error: await rejection(p) };
}

describe.each([
  ['runPrivate', runPrivate as Run, 'rejected'],
  ['runPrivateSync', runPrivateSync as Run, 'threw'],
])('%s: a child the backend cannot start', (_name, run, how) => {
  it.each(refusals)(`ends the run with a RunError carrying the backend's code: %s`, async (_what, options, code) => {
    const before = liveChildren();
    const r = await outcome(run, options);
    expect(r.how).toBe(how);
    expect(isRunError(r.error)).toBe(true);
    expect(r.error).toMatchObject({
      code,
      command: "true 'a b'",
      spawnargs: ['true', 'a b'],
      pid: null,
      status: null,
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
    });
    // It is not a spawn error: no errno, no step; the backend's own error is its cause.
    expect(isSpawnError(r.error)).toBe(false);
    expect(r.error!.cause).toMatchObject({ code });
    expect(liveChildren()).toEqual(before);
  });
});

describe('spawnPrivate: a child the backend cannot start', () => {
  it.each(refusals)('throws the backend’s error synchronously: %s', (_what, options, code) => {
    expect(() => spawnPrivate('true', [], options)).toThrow(expect.objectContaining({ code }));
  });
});

it('runPrivateSync ends a run on the portable backend, whose pipes it cannot poll, with a RunError', async () => {
  const r = await outcome(runPrivateSync as Run, { backend: 'portable' });
  expect(r.how).toBe('threw');
  expect(isRunError(r.error)).toBe(true);
  expect(r.error).toMatchObject({ code: 'ERR_NOT_SUPPORTED', command: "true 'a b'", pid: null, exitCode: null });
});
