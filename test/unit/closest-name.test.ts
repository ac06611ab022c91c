import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// check.ts is internal: the unit test reads the CommonJS build directly.
const { closestName } = createRequire(import.meta.url)('../../dist/cjs/check.js') as {
  closestName(name: string, names: readonly string[]): string | null;
};

const names = ['cwd', 'env', 'stdio', 'encoding', 'killSignal', 'killGraceMs', 'timeout', 'uid', 'gid'];

describe('closestName, the "did you mean" of an unknown option', () => {
  it.each([
    ['encodin', 'encoding'],
    ['stido', 'stdio'],
    ['cdw', 'cwd'],
    ['killsignal', 'killSignal'],
    ['KILLGRACEMS', 'killGraceMs'],
    ['timout', 'timeout'],
  ])('takes %s for %s: a missing, swapped or changed letter, or another case', (typo, meant) => {
    expect(closestName(typo, names)).toBe(meant);
  });

  it.each(['xyzzy', 'shell', 'u', 'encryption'])('suggests nothing for %s, which is another word', (other) => {
    expect(closestName(other, names)).toBeNull();
  });

  it('of two names as near, suggests the first listed', () => {
    expect(closestName('xid', names)).toBe('uid');
  });
});
