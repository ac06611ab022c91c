import { describe, expect, it } from 'vitest';
import { runPrivate, runPrivateSync, spawnPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';

// Arguments that child_process takes and turns into what the child gets, with nothing lost on
// the way: the package takes them too.
describe.each(modesHere())('arguments child_process is lenient about ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  const o = { backend, isolation };

  it('numbers and bigints in args are passed as their decimal strings', async () => {
    const r = await runPrivate('echo', [1, -2.5, 2n ** 64n, 'x'] as never, o);
    expect(r.stdout).toBe('1 -2.5 18446744073709551616 x');
    expect(r.command).toBe('echo 1 -2.5 18446744073709551616 x');
    const h = spawnPrivate('true', [0] as never, { ...o, stdio: 'ignore' });
    expect(h.spawnargs).toEqual(['true', '0']);
    await h.wait();
  });

  it('env takes inherited enumerable keys, as for...in reads them, the nearest first, never Object.prototype’s', async () => {
    const base = { INHERITED: 'from-base', SHADOWED: 'base', PATH: process.env.PATH };
    const env = Object.assign(Object.create(base) as Record<string, string>, { OWN: 'own', SHADOWED: 'own' });
    const script = 'echo "$OWN $INHERITED $SHADOWED ${POLLUTED-unset}"';
    const proto = Object.prototype as Record<string, unknown>;
    proto.POLLUTED = 'polluted';
    let run: Promise<{ stdout: unknown }>;
    try {
      run = runPrivate('sh', ['-c', script], { ...o, env });
    } finally {
      delete proto.POLLUTED;
    }
    expect((await run).stdout).toBe('own from-base own unset');
  });

  it('signal takes any AbortSignal-like object: aborted, reason and the event listener methods', async () => {
    const target = new EventTarget();
    const like = Object.assign(target, { aborted: false, reason: undefined as unknown });
    const run = runPrivate('sleep', ['30'], { ...o, signal: like as never });
    setImmediate(() => {
      like.aborted = true;
      like.reason = new Error('stop');
      target.dispatchEvent(new Event('abort'));
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORT_ERR', signal: 'SIGTERM', cause: like.reason });
  });
});

describe('what stays refused', () => {
  it.each([
    ['an object in args', [{}], 'ERR_INVALID_ARG_TYPE'],
    ['null in args', [null], 'ERR_INVALID_ARG_TYPE'],
    ['a boolean in args', [true], 'ERR_INVALID_ARG_TYPE'],
  ])('%s', (_what, args, code) => {
    expect(() => runPrivateSync('echo', args as never)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['an object without aborted', { addEventListener() {}, removeEventListener() {} }],
    ['an object without addEventListener', { aborted: false }],
    ['a string', 'abort'],
  ])('a signal that is %s', (_what, signal) => {
    expect(() => runPrivate('true', [], { signal: signal as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
