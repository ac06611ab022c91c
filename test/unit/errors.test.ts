import { constants } from 'node:os';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// errors.ts is internal: the unit test reads the CommonJS build directly.
const errors = createRequire(import.meta.url)('../../dist/cjs/errors.js') as {
  systemError(syscall: string, errno: number): NodeJS.ErrnoException;
  formatCommand(file: string, args: readonly string[]): string;
};

describe('system errors', () => {
  it.each(Object.entries(constants.errno))('give %s a message of words, never "unknown error"', (_, n) => {
    const err = errors.systemError('spawn x', -n);
    expect(constants.errno[err.code as keyof typeof constants.errno]).toBe(n);
    expect(err.message).toMatch(/^spawn x E[A-Z0-9]+: [a-z]/);
    expect(err.message).not.toMatch(/unknown/i);
  });

  it('gives the messages Node gives where libuv has none: ENOEXEC, ECHILD', () => {
    expect(errors.systemError('spawn x', -constants.errno.ENOEXEC).message).toBe('spawn x ENOEXEC: exec format error');
    expect(errors.systemError('waitid', -constants.errno.ECHILD).message).toBe('waitid ECHILD: no child processes');
  });
});

describe('formatCommand', () => {
  it('quotes with single quotes only the words that need it, so the line can be pasted into a shell', () => {
    expect(errors.formatCommand('/bin/sh', ['-c', 'echo "hi"; exit 3'])).toBe(`/bin/sh -c 'echo "hi"; exit 3'`);
    expect(errors.formatCommand('git', ['rev-parse', 'HEAD~1', 'a=b,c:d@e%f+g'])).toBe(
      "git rev-parse 'HEAD~1' a=b,c:d@e%f+g",
    );
    expect(errors.formatCommand('echo', ["it's", ''])).toBe(`echo 'it'\\''s' ''`);
    expect(errors.formatCommand('printf', ['a\nb'])).toBe(`printf 'a\nb'`);
  });
});
