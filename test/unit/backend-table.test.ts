import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';

it('every compiled-in backend fills its whole table, and its probe answers', async () => {
  const { stdout } = await promisify(execFile)(inject('helpers').backendTable);
  const backends = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(backends.length).toBeGreaterThan(0);
  for (const b of backends) expect(b.probe === 0 || b.probe < 0).toBe(true);
  expect(backends.map((b) => b.key)).toContain(process.platform === 'linux' ? 'linux' : 'fallback');
});
