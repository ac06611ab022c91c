import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { repoRoot } from '../helpers/build.js';

const isRoot = process.getuid?.() === 0;

/** Builds test/unit/ids32.c for 32-bit x86, or says why it cannot here. */
function build32(): { file: string } | { skip: string } {
  if (process.arch !== 'x64') return { skip: 'not an x86-64 machine' };
  if (!isRoot) return { skip: 'changing uid needs root' };
  const file = path.join(inject('helpers').outDir, 'ids32');
  try {
    execFileSync(
      process.env.CC || 'cc',
      [
        '-m32',
        '-std=gnu11',
        '-O2',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-o',
        file,
        'test/unit/ids32.c',
        'native/linux/child.c',
      ],
      { cwd: repoRoot, stdio: 'pipe' },
    );
    return { file };
  } catch {
    return { skip: 'no 32-bit x86 C toolchain (Debian: gcc-multilib)' };
  }
}

const built = build32();
const skip = 'skip' in built ? ` (skipped: ${built.skip})` : '';

it.skipIf(skip !== '')(`a 32-bit build sets 32-bit ids, never the 16-bit calls' truncation${skip}`, () => {
  const out = execFileSync((built as { file: string }).file, { encoding: 'utf8' });
  expect(out.split('\n').slice(0, 3)).toEqual(['131072', '131073', '131073 131074']);
});
