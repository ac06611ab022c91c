import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as esm from '../../esm/index.mjs';
import { rejection } from '../helpers/assert.js';

// The CommonJS build, as require('private-process') gives it.
const cjs = createRequire(import.meta.url)('../../dist/cjs/index.js') as typeof esm;
const { PrivateProcessError, RunError, SpawnError, runPrivate, runPrivateSync, spawnPrivate } = esm;

describe('the error classes', () => {
  it('are exported by both entry points, the very same classes', () => {
    for (const name of ['RunError', 'SpawnError', 'PrivateProcessError'] as const) {
      expect(typeof esm[name], name).toBe('function');
      expect(esm[name], name).toBe(cjs[name]);
    }
  });

  it('every function the ESM entry point has, the CommonJS one has, and the other way round', () => {
    const names = (m: object): string[] => Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule');
    expect(names(esm).sort()).toEqual(names(cjs).sort());
  });

  it('a child that could not be started throws a SpawnError, an Error, that is no RunError', () => {
    let err: unknown;
    try {
      spawnPrivate('/nonexistent/program', [], { stdio: 'ignore' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpawnError);
    expect(err).toBeInstanceOf(cjs.SpawnError);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RunError);
    expect(err).toMatchObject({ code: 'ENOENT', step: 'execve' });
  });

  it('a run that failed rejects with a RunError, whichever entry point started it', async () => {
    const failed = await rejection(runPrivate('sh', ['-c', 'exit 3']));
    expect(failed).toBeInstanceOf(RunError);
    expect(failed).toBeInstanceOf(cjs.RunError);
    expect(failed).not.toBeInstanceOf(SpawnError);
    expect(failed.code).toBe('ERR_PRIVATE_PROCESS_FAILED');
    const fromCjs = await rejection(cjs.runPrivate('sh', ['-c', 'exit 3']));
    expect(fromCjs).toBeInstanceOf(RunError);
  });

  it('a run whose child could not be started is a RunError and a SpawnError, as isRunError and isSpawnError say', () => {
    let err: unknown;
    try {
      runPrivateSync('/nonexistent/program');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunError);
    expect(err).toBeInstanceOf(SpawnError);
    expect(esm.isRunError(err) && esm.isSpawnError(err)).toBe(true);
  });

  it("the package's own refusals are PrivateProcessErrors with their code", async () => {
    const h = spawnPrivate('sleep', ['30'], { stdio: 'ignore' });
    try {
      let err: unknown;
      try {
        h.kill('SIGTERM', { group: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PrivateProcessError);
      expect(err).toBeInstanceOf(cjs.PrivateProcessError);
      expect(err).toMatchObject({ code: 'ERR_PRIVATE_NOT_DETACHED' });
    } finally {
      h.kill('SIGKILL');
      await h.wait();
    }
  });

  it('are not what other errors are, and only the package makes RunErrors and SpawnErrors', () => {
    for (const other of [new Error('x'), Object.assign(new Error('x'), { code: 'ENOENT' }), {}, null, 'x']) {
      expect(other instanceof RunError || other instanceof SpawnError || other instanceof PrivateProcessError).toBe(
        false,
      );
    }
    expect(() => new (RunError as unknown as new () => unknown)()).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR' }),
    );
    expect(() => new (SpawnError as unknown as new () => unknown)()).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR' }),
    );
  });
});
