import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The JavaScript code blocks of the README, in order. */
function examples(): string[] {
  return [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

it('the first example of the README prints hello, then the status, every time', async () => {
  // Inside the package, 'private-process' resolves to the package itself, as it does for its users.
  const dir = path.join(root, 'build', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'first-example.mjs');
  writeFileSync(file, examples()[0]!);
  for (let i = 0; i < 5; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 20_000 });
    expect(stdout).toMatch(/^hello\npid \d+ exit 3\n$/);
  }
});
