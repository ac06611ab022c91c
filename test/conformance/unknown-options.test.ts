import { describe, expect, it } from 'vitest';
import {
  adopt,
  forkPrivate,
  PrivateHandle,
  runPrivate,
  runPrivateSync,
  spawnPrivate,
  waitpid,
} from '../../esm/index.mjs';

/**
 * The error `start` throws or rejects with, or null when it was accepted. What an accepted call
 * started is cleaned up: a handle is killed and waited for, a run is awaited.
 */
async function refusal(start: () => unknown): Promise<(Error & { code?: string }) | null> {
  let started: unknown;
  try {
    started = start();
  } catch (err) {
    return err as Error;
  }
  if (started instanceof PrivateHandle) {
    started.kill('SIGKILL');
    await started.wait();
  } else if (started instanceof Promise) {
    return started.then(
      () => null,
      (err: Error) => err,
    );
  } else if (started !== null && typeof started === 'object' && 'pid' in started) {
    return null; // a runPrivateSync result: the child is reaped already
  }
  return null;
}

const cases: [string, () => unknown, string, string][] = [
  ['runPrivate', () => runPrivate('true', [], { encodin: 'latin1' } as never), 'encodin', 'encoding'],
  ['runPrivateSync', () => runPrivateSync('true', [], { maxBufer: 10 } as never), 'maxBufer', 'maxBuffer'],
  [
    'spawnPrivate',
    () => spawnPrivate('true', [], { stdio: 'ignore', detatched: true } as never),
    'detatched',
    'detached',
  ],
  ['spawnPrivate, options first', () => spawnPrivate('true', { stdio: 'ignore', cwdd: '/' } as never), 'cwdd', 'cwd'],
  [
    'forkPrivate',
    () => forkPrivate('/nonexistent.js', [], { stdio: 'ignore', killsignal: 'SIGINT' } as never),
    'killsignal',
    'killSignal',
  ],
  ['waitpid', () => waitpid(-1, { nohange: true } as never), 'nohange', 'nohang'],
  ['adopt', () => adopt(process.pid, { backnd: 'auto' } as never), 'backnd', 'backend'],
];

describe('an unknown option name', () => {
  it.each(cases)('is refused by %s, naming the closest known one', async (_, start, name, closest) => {
    const err = await refusal(start);
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    // The suggestion is the feature: the message names the option and the one meant.
    expect(err!.message).toContain(`options.${name}`);
    expect(err!.message).toContain(`did you mean '${closest}'?`);
  });

  it("is refused by a handle's kill(), which starts nothing", async () => {
    const h = spawnPrivate('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(() => h.kill('SIGTERM', { grup: true } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'group'") }),
      );
    } finally {
      h.kill('SIGKILL');
      await h.wait();
    }
  });

  it('far from every known one is refused without a suggestion, listing the options', async () => {
    const err = await refusal(() => runPrivate('true', [], { xyzzy: 1 } as never));
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(err!.message).not.toContain('did you mean');
    expect(err!.message).toContain('encoding');
  });

  it('whose value is undefined asks for nothing and is let through, as refused names with such values are', async () => {
    const r = await runPrivate('true', [], { encodin: undefined } as never);
    expect(r.exitCode).toBe(0);
  });

  it('of child_process that is refused keeps its own advice, not a suggestion', async () => {
    const err = await refusal(() => runPrivate('true', [], { windowsHide: true } as never));
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(err!.message).not.toContain('did you mean');
  });
});
