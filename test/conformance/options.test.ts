import { once } from 'node:events';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { forkPrivate, spawnPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { liveChildren } from '../helpers/leaks.js';
import { readAll } from '../helpers/stream.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pp-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(modesHere())('options ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('takes the options in the place of args, as child_process does', async () => {
    const h = spawnPrivate('true', { backend, isolation, stdio: 'ignore' });
    expect(h.stdout).toBeNull();
    expect(h.spawnargs).toEqual(['true']);
    expect((await h.wait()).success).toBe(true);
    const hello = path.join(__dirname, '..', 'fixtures', 'hello.cjs');
    const f = forkPrivate(hello, { backend, isolation, stdio: ['ignore', 'pipe', 'inherit'] });
    expect(JSON.parse(await readAll(f.stdout))).toEqual({ hello: true, args: [] });
    await f.wait();
  });

  it('gives the child a copy of the descriptor under a Node stream in stdio', async () => {
    const file = path.join(dir, `out-${backend}.txt`);
    const out = createWriteStream(file);
    await once(out, 'open');
    const h = spawnPrivate(...sh('echo to-file; echo to-err >&2'), { backend, isolation, stdio: ['ignore', out, out] });
    expect(h.stdout).toBeNull();
    await h.wait();
    out.close();
    await once(out, 'close');
    expect(readFileSync(file, 'utf8')).toBe('to-file\nto-err\n');
  });

  it('refuses a stream that has no descriptor, before anything is spawned', async () => {
    const before = liveChildren();
    for (const stream of [new PassThrough(), createWriteStream(path.join(dir, 'not-opened-yet'))]) {
      expect(() => spawnPrivate('true', [], { backend, isolation, stdio: ['ignore', stream, 'ignore'] })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('file descriptor') }),
      );
      // A file stream opens its file in the background, and closes it only then.
      const closed = once(stream, 'close');
      stream.destroy();
      await closed;
    }
    expect(liveChildren()).toEqual(before);
  });

  it('preferLocal finds node_modules/.bin of cwd and of the folders above it, before the PATH', async () => {
    const project = path.join(dir, `project-${backend}`);
    const bin = path.join(project, 'node_modules', '.bin');
    const sub = path.join(project, 'src', 'deep');
    mkdirSync(bin, { recursive: true });
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(bin, 'echo'), '#!/bin/sh\nprintf "local %s" "$*"\n');
    chmodSync(path.join(bin, 'echo'), 0o755);
    const local = spawnPrivate('echo', ['hi'], {
      backend,
      cwd: sub,
      preferLocal: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(await readAll(local.stdout)).toBe('local hi');
    await local.wait();
    const plain = spawnPrivate('echo', ['hi'], { backend, isolation, cwd: sub, stdio: ['ignore', 'pipe', 'inherit'] });
    expect(await readAll(plain.stdout)).toBe('hi\n');
    await plain.wait();
  });
});

describe('options this package does not take are refused, with what to do instead', () => {
  it.each([
    ['windowsHide', true, 'Windows'],
    ['windowsVerbatimArguments', true, 'Windows'],
    ['execArgv', ['--inspect'], 'spawnPrivate(nodePath'],
    ['execPath', '/usr/bin/node', 'spawnPrivate(nodePath'],
    ['input', 'text', 'handle.stdin'],
    ['encoding', 'utf8', 'setEncoding'],
    ['maxBuffer', 10, 'runPrivate'],
    ['reject', true, 'runPrivate'],
    ['stripFinalNewline', true, 'runPrivate'],
    ['lines', true, 'runPrivate'],
    ['all', true, 'runPrivate'],
    ['cancelSignal', new AbortController().signal, 'signal'],
    ['forceKillAfterDelay', 1000, 'killGraceMs'],
    ['extendEnv', true, '...process.env'],
    ['stdout', 'inherit', 'stdio'],
    ['inputFile', 'in.txt', 'createReadStream'],
  ])('spawnPrivate refuses %s: %o', (name, value, advice) => {
    const before = liveChildren();
    const call = () => spawnPrivate('true', [], { [name]: value } as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(
          new RegExp(`options\\.${name}' is not supported: .*${advice.replace(/[.(]/g, '\\$&')}`),
        ),
      }),
    );
    expect(liveChildren()).toEqual(before);
  });

  it('forkPrivate refuses them too', () => {
    expect(() => forkPrivate('x.js', [], { execArgv: [] } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('lets through the values that ask for nothing, so portable option objects still work', async () => {
    const h = spawnPrivate('true', [], { shell: false, windowsHide: false, encoding: null, stdio: 'ignore' } as never);
    expect((await h.wait()).success).toBe(true);
  });
});
