import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnPrivate, type PrivateHandle } from '../../esm/index.mjs';
import { tableCount } from '../../dist/cjs/testing.js';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { argString, fuzzRuns, MAX_ARG_STRLEN, parseEcho, withNul, type EchoOutput } from '../helpers/fuzz.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'pp-fuzz-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs the echo fixture to its end and parses what it printed. */
async function echo(h: PrivateHandle): Promise<EchoOutput> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.stdout!) chunks.push(chunk as Buffer);
  const status = await h.wait();
  expect(status.exitCode).toBe(0);
  return parseEcho(Buffer.concat(chunks));
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
/** raw shows bytes one character each, so that comparisons are exact and fast even for 128 KiB. */
const raw = (b: Buffer | null): string | null => (b === null ? null : b.toString('latin1'));
const tooLong = (s: string): boolean => bytes(s).length + 1 > MAX_ARG_STRLEN;

/** A directory name: any string that one path component can be (no '/', no NUL, 255 bytes). */
const dirName = argString
  .map((s) => s.replaceAll('/', '_'))
  .filter((s) => s !== '' && s !== '.' && s !== '..' && bytes(s).length <= 255);

describe.each(modesHere())('strings reach the child byte for byte ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it(`argv, argv0 and env: exactly as given, or E2BIG at execve past ${MAX_ARG_STRLEN} bytes`, async () => {
    const { echo: file } = inject('helpers');
    await fc.assert(
      fc.asyncProperty(
        fc.array(argString, { maxLength: 6 }),
        fc.option(argString, { nil: undefined }),
        fc.dictionary(argString, argString, { maxKeys: 4 }),
        async (args, argv0, env) => {
          const entries = Object.keys(env).map((k) => `${k}=${env[k]}`);
          const argv = [argv0 ?? file, ...args];
          const options = { backend, isolation, env, argv0, stdio: ['ignore', 'pipe', 'ignore'] } as const;
          if ([...argv, ...entries].some(tooLong)) {
            expect(() => spawnPrivate(file, args, options)).toThrow(
              expect.objectContaining({ code: 'E2BIG', errno: -7, step: 'execve' }),
            );
            return;
          }
          const got = await echo(spawnPrivate(file, args, options));
          expect(got.argv.map(raw)).toEqual(argv.map((a) => raw(bytes(a))));
          expect(got.env.map(raw)).toEqual(entries.map((e) => raw(bytes(e))));
        },
      ),
      { numRuns: fuzzRuns() },
    );
    expect(tableCount()).toBe(0);
  });

  it('cwd: the child starts in exactly that directory, given as a string or a file: URL', async () => {
    const { echo: file } = inject('helpers');
    await fc.assert(
      fc.asyncProperty(dirName, fc.boolean(), async (name, asUrl) => {
        const cwd = asUrl ? pathToFileURL(path.join(base, name)) : path.join(base, name);
        // Node's own URL round trip is the reference: its pathToFileURL drops a trailing control character.
        const dir = asUrl ? path.resolve(fileURLToPath(cwd)) : (cwd as string);
        mkdirSync(dir, { recursive: true });
        const got = await echo(
          spawnPrivate(file, [], { backend, isolation, cwd, stdio: ['ignore', 'pipe', 'ignore'] }),
        );
        expect(raw(got.cwd)).toBe(raw(bytes(dir)));
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('cwd: a path that names no directory fails at step chdir with the kernel’s reason', () => {
    fc.assert(
      fc.property(argString, (name) => {
        const cwd = path.join(base, 'missing', name);
        const err = (() => {
          try {
            spawnPrivate('/bin/true', [], { backend, isolation, cwd, stdio: 'ignore' }).waitSync();
          } catch (e) {
            return e as NodeJS.ErrnoException & { step: string };
          }
          throw new Error(`spawned in ${JSON.stringify(cwd)}`);
        })();
        expect(err.step).toBe('chdir');
        expect(err.code).toBe(bytes(cwd).length >= 4096 ? 'ENAMETOOLONG' : 'ENOENT');
      }),
      { numRuns: fuzzRuns() },
    );
    expect(tableCount()).toBe(0);
  });

  it('a NUL anywhere is refused with ERR_INVALID_ARG_VALUE before anything is spawned', () => {
    const where = fc.constantFrom('file', 'arg', 'argv0', 'envKey', 'envValue', 'cwd');
    fc.assert(
      fc.property(where, withNul, (at, bad) => {
        const file = at === 'file' ? bad : '/bin/true';
        const args = at === 'arg' ? ['ok', bad] : ['ok'];
        const env = at === 'envKey' ? { [bad]: 'v' } : at === 'envValue' ? { K: bad } : { K: 'v' };
        const argv0 = at === 'argv0' ? bad : undefined;
        const cwd = at === 'cwd' ? bad : undefined;
        expect(() => spawnPrivate(file, args, { backend, isolation, env, argv0, cwd, stdio: 'ignore' })).toThrow(
          expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
        );
        expect(tableCount()).toBe(0);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
