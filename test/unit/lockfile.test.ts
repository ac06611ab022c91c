import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(root, file), 'utf8'));

// The fields of package.json that npm copies into the lock's root entry, in the lock's order;
// one that differs, even by its keys' order, makes `npm install` in a clean clone rewrite the lock.
const mirrored = [
  'name',
  'version',
  'hasInstallScript',
  'license',
  'os',
  'cpu',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'bin',
  'devDependencies',
  'engines',
];

it('the committed package-lock.json matches package.json, so that npm install in a clean clone changes nothing', () => {
  const pkg = read('package.json');
  const lock = read('package-lock.json') as { name: string; version: string; packages: Record<string, object> };
  expect([lock.name, lock.version]).toEqual([pkg.name, pkg.version]);
  const lockRoot = lock.packages[''] as Record<string, unknown>;
  const expected: Record<string, unknown> = { hasInstallScript: pkg.gypfile === true || undefined };
  for (const field of mirrored) {
    if (field !== 'hasInstallScript') expected[field] = pkg[field];
  }
  for (const field of mirrored) {
    // JSON text, so that the order of the keys counts as it does for npm.
    expect(JSON.stringify(lockRoot[field]), field).toBe(JSON.stringify(expected[field]));
  }
});
