import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { preloadPath } from '../../esm/index.mjs';

const release = path.join(__dirname, '..', '..', 'build', 'Release');

it('builds exactly one .node file, the addon, so that node-gyp-build cannot load the shim instead', () => {
  expect(readdirSync(release).filter((f) => f.endsWith('.node'))).toEqual(['private_process.node']);
});

it.skipIf(process.platform !== 'linux')(
  `exports the preload shim's path beside the addon${process.platform === 'linux' ? '' : ' (skipped: the shim is built on Linux only)'}`,
  () => {
    expect(preloadPath).not.toBeNull();
    expect(path.isAbsolute(preloadPath!)).toBe(true);
    expect(preloadPath!.endsWith('.so')).toBe(true);
    expect(existsSync(preloadPath!)).toBe(true);
  },
);
