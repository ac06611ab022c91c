import { spawnSync } from 'node:child_process';
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

it.skipIf(preloadPath === null)(
  `the preload shim resolves every symbol it needs when it is loaded${preloadPath === null ? ' (skipped: no shim on this platform)' : ''}`,
  () => {
    // LD_BIND_NOW makes the dynamic linker bind every call at load: a missing one fails there, not in
    // the middle of some program's waitpid().
    const r = spawnSync(process.execPath, ['-e', '0'], {
      env: { ...process.env, LD_PRELOAD: preloadPath!, LD_BIND_NOW: '1' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  },
);
