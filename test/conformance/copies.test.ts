import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../helpers/build.js';
import { backendsHere, modesHere } from '../helpers/backends.js';

// A second copy of the package, as npm nests two versions in node_modules: its own dist and addon.
const second = path.join(repoRoot, 'build', 'second-copy');
rmSync(second, { recursive: true, force: true });
mkdirSync(path.join(second, 'build'), { recursive: true });
cpSync(path.join(repoRoot, 'package.json'), path.join(second, 'package.json'));
cpSync(path.join(repoRoot, 'dist'), path.join(second, 'dist'), { recursive: true });
cpSync(path.join(repoRoot, 'build', 'Release'), path.join(second, 'build', 'Release'), { recursive: true });
afterAll(() => rmSync(second, { recursive: true, force: true }));

// child_process's children are ordinary ones: another copy's waitpid(-1) can take them.
const direct = modesHere().filter((m) => m.isolation === 'direct' && m.backend !== 'portable');

it.each(direct.map((m) => [m.name, m.backend]))(
  "one copy's waitpid(-1) never takes the other copy's private child (%s)",
  async (_name, backend) => {
    const script = `
      const A = require(${JSON.stringify(path.join(repoRoot, 'dist', 'cjs', 'index.js'))});
      const B = require(${JSON.stringify(path.join(second, 'dist', 'cjs', 'index.js'))});
      const h = B.spawnPrivate('/bin/sh', ['-c', 'exit 5'], { stdio: 'ignore', backend: '${backend}', isolation: 'direct' });
      let a;
      try { a = String(A.waitpid(-1)); } catch (err) { a = err.code; }
      h.wait().then((s) => console.log(JSON.stringify({ a, b: String(s), pid: h.pid })));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 30_000 });
    const r = JSON.parse(stdout);
    expect(r.a).toBe('ECHILD');
    expect(r.b).toBe(`pid ${r.pid} exit 5`);
  },
);

const why = backendsHere().includes('portable')
  ? "the portable backend's children are child_process's, which another copy's waitpid(-1) takes"
  : 'no backend here starts direct children';
if (direct.length === 0) {
  it.skip(`one copy's waitpid(-1) never takes the other copy's private child (skipped: ${why})`, () => {});
}
