import { describe, expect, it } from 'vitest';
import { runPrivate, runPrivateSync, spawnPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { checkNoLeaks } from '../helpers/children.js';
import { readAll } from '../helpers/stream.js';

describe.each(modesHere())('the shell option ($name)', ({ backend, isolation }) => {
  checkNoLeaks();

  it('shell: true runs /bin/sh -c with file and args joined by spaces, unquoted', async () => {
    const h = spawnPrivate('printf', ['%s-', 'a', '"b c"', '$PP_WORD'], {
      backend,
      isolation,
      shell: true,
      env: { PATH: process.env.PATH, PP_WORD: 'd' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(h.spawnfile).toBe('/bin/sh');
    expect(h.spawnargs).toEqual(['/bin/sh', '-c', 'printf %s- a "b c" $PP_WORD']);
    expect(await readAll(h.stdout)).toBe('a-b c-d-');
    expect((await h.wait()).exitCode).toBe(0);
  });

  it('shell: a path runs that shell, and argv0 names it', async () => {
    const h = spawnPrivate('echo "$0" | tr a-z A-Z', {
      backend,
      isolation,
      shell: '/bin/sh',
      argv0: 'mysh',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(h.spawnargs).toEqual(['mysh', '-c', 'echo "$0" | tr a-z A-Z']);
    expect(await readAll(h.stdout)).toBe('MYSH\n');
    await h.wait();
  });

  it('runPrivate and runPrivateSync take it too', async () => {
    const r = await runPrivate('exit 3', { backend, isolation, shell: true, reject: false });
    expect(r.exitCode).toBe(3);
    if (backend !== 'portable') {
      expect(runPrivateSync('echo $((1 + 2))', { backend, isolation, shell: true }).stdout).toBe('3');
    }
  });

  it.each([1, {}, ['sh']])('refuses a shell that is not a boolean or a string: %o', (shell) => {
    expect(() => spawnPrivate('true', { backend, isolation, shell: shell as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
