import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * bench/split.mjs times stretches of a spawn by wrapping the addon's spawn call and the exit
 * callback passed to it: package internals, which a change of the loader or of the call's
 * arguments would break silently (every stretch would then read as NaN or 0). A short run of each
 * form checks that it still measures something; no figure is compared with a threshold.
 */
const script = path.join(__dirname, '..', '..', 'bench', 'split.mjs');

async function split(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, [script, '--count=40', '--warmup=5', ...args]);
  return JSON.parse(stdout);
}

const stretch = { p50us: expect.any(Number), p90us: expect.any(Number) };

describe('bench/split.mjs', () => {
  for (const isolation of ['hidden', 'direct']) {
    it(`times each stretch of a ${isolation} round trip`, async () => {
      const r = await split([`--isolation=${isolation}`]);
      expect(r).toEqual({
        isolation,
        count: 40,
        before: stretch,
        spawn: stretch,
        life: stretch,
        settle: stretch,
        total: stretch,
      });
      const total = r.total as { p50us: number };
      const spawn = r.spawn as { p50us: number };
      expect(spawn.p50us).toBeGreaterThan(0);
      expect(total.p50us).toBeGreaterThanOrEqual(spawn.p50us);
    });
  }

  it('with several lanes, gives the rate, the spawn call and the share of time inside it', async () => {
    const r = await split(['--lanes=4']);
    expect(r).toEqual({
      isolation: 'hidden',
      lanes: 4,
      count: 40,
      rate: expect.any(Number),
      spawn: stretch,
      insideSpawnCalls: expect.any(Number),
      cpuUsPerSpawn: expect.any(Number),
    });
    expect(r.rate).toBeGreaterThan(0);
    expect(r.insideSpawnCalls).toBeGreaterThan(0);
    expect(r.insideSpawnCalls).toBeLessThanOrEqual(1);
  });

  it('refuses an isolation it does not measure', async () => {
    await expect(split(['--isolation=portable'])).rejects.toMatchObject({ code: 2 });
  });
});
