import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/env.js';

/**
 * A backend less than the platform's best (the portable backend, child_process, on Linux, macOS
 * or FreeBSD) is never used silently: one warning per process, or an error under `strict`. This
 * is not the Linux backend's own fallback on kernels without pidfds (conformance/degraded.test.ts),
 * whose children stay private.
 */
const fixture = path.join(__dirname, '..', 'fixtures', 'weaker-backend.cjs');
const noNativeBuild = mkdtempSync(path.join(tmpdir(), 'pp-no-native-'));
afterAll(() => rmSync(noNativeBuild, { recursive: true, force: true }));

type Step = { api: 'spawn' | 'run' | 'sync'; options?: Record<string, unknown> };
interface Report {
  results: { outcome: string | { code: string }; ran: boolean }[];
  warnings: string[];
  backend: string;
  backends: Record<string, { available: boolean; reason?: string }>;
}

const baseEnv = cleanEnv();

async function run(steps: Step[], env: Record<string, string> = {}, args: string[] = []): Promise<Report> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--no-warnings', fixture, JSON.stringify(steps), ...args],
    { env: { ...baseEnv, ...env } },
  );
  expect(stderr).toBe('');
  return JSON.parse(stdout);
}

const noAddon = { PRIVATE_PROCESS_PREBUILD: noNativeBuild };
const portable = { backend: 'portable' };

// Where binding.gyp builds no native backend, the portable backend is the best there is.
const nativePlatform = ['linux', 'darwin', 'freebsd'].includes(process.platform);
const unlessNative = nativePlatform ? '' : ` (skipped: ${process.platform} has no native backend)`;

describe.skipIf(!nativePlatform)(`on a platform with a native backend${unlessNative}`, () => {
  it('warns once per process, with code PRIVATE_PROCESS_DEGRADED, when the portable backend is asked for', async () => {
    const r = await run([
      { api: 'spawn', options: portable },
      { api: 'spawn', options: portable },
      { api: 'run', options: portable },
    ]);
    expect(r.results.map((x) => x.ran)).toEqual([true, true, true]);
    expect(r.results[0]!.outcome).toBe('portable');
    expect(r.warnings).toEqual(['PRIVATE_PROCESS_DEGRADED']);
  });

  it('warns once when no native build could be loaded, and capabilities() says why', async () => {
    const r = await run([{ api: 'spawn' }, { api: 'run' }], noAddon);
    expect(r.backend).toBe('portable');
    for (const key of ['linux', 'freebsd', 'fallback']) {
      expect(r.backends[key]).toEqual({ available: false, reason: expect.stringMatching(/^no native build/) });
    }
    expect(r.results.map((x) => x.ran)).toEqual([true, true]);
    expect(r.warnings).toEqual(['PRIVATE_PROCESS_DEGRADED']);
  });

  it('warns under PRIVATE_PROCESS_BACKEND=portable', async () => {
    const r = await run([{ api: 'spawn' }], { PRIVATE_PROCESS_BACKEND: 'portable' });
    expect(r.results[0]!.outcome).toBe('portable');
    expect(r.warnings).toEqual(['PRIVATE_PROCESS_DEGRADED']);
  });

  it('stays quiet when a native backend runs the child, the fallback included', async () => {
    const r = await run([{ api: 'spawn' }, { api: 'spawn', options: { backend: 'fallback' } }, { api: 'sync' }]);
    expect(r.results.map((x) => x.ran)).toEqual([true, true, true]);
    expect(r.warnings).toEqual([]);
  });

  it('with strict: true, refuses the spawn, the run and the synchronous run with ERR_PRIVATE_PROCESS_DEGRADED, starting nothing', async () => {
    const strict = { ...portable, strict: true };
    const r = await run([
      { api: 'spawn', options: strict },
      { api: 'run', options: strict },
      { api: 'sync', options: strict },
    ]);
    const refused = { outcome: { code: 'ERR_PRIVATE_PROCESS_DEGRADED' }, ran: false };
    expect(r.results).toEqual([refused, refused, refused]);
    expect(r.warnings).toEqual([]);
  });

  it('with PRIVATE_PROCESS_STRICT=1, refuses as strict: true does, and strict: false lets it through', async () => {
    const r = await run([{ api: 'spawn' }, { api: 'run' }, { api: 'spawn', options: { strict: false } }], {
      ...noAddon,
      PRIVATE_PROCESS_STRICT: '1',
    });
    expect(r.results.map((x) => x.outcome)).toEqual([
      { code: 'ERR_PRIVATE_PROCESS_DEGRADED' },
      { code: 'ERR_PRIVATE_PROCESS_DEGRADED' },
      'portable',
    ]);
    expect(r.warnings).toEqual(['PRIVATE_PROCESS_DEGRADED']);
  });

  it('lets strict mode through when the native backend runs the child', async () => {
    const r = await run([{ api: 'spawn', options: { strict: true } }], { PRIVATE_PROCESS_STRICT: '1' });
    expect(r.results[0]).toEqual({ outcome: r.backend, ran: true });
  });
});

it('stays quiet, strict or not, where the portable backend is the platform’s best (as on Windows)', async () => {
  const r = await run([{ api: 'spawn' }, { api: 'spawn', options: { strict: true } }], noAddon, [
    '--no-native-platform',
  ]);
  expect(r.results).toEqual([
    { outcome: 'portable', ran: true },
    { outcome: 'portable', ran: true },
  ]);
  expect(r.warnings).toEqual([]);
});

it('takes strict as a boolean only', async () => {
  const r = await run([{ api: 'spawn', options: { strict: 'yes' } }]);
  expect(r.results[0]).toEqual({ outcome: { code: 'ERR_INVALID_ARG_TYPE' }, ran: false });
});

describe.skipIf(!nativePlatform)(`at install time${unlessNative}`, () => {
  const install = path.join(__dirname, '..', '..', 'scripts', 'install.cjs');
  // An install where nothing can be built: a folder without binding.gyp or prebuilds, and node-gyp
  // pointed at headers that are not there, so that it fails at once, offline.
  function failedInstall(env: Record<string, string> = {}): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [install], {
      cwd: noNativeBuild,
      env: { ...baseEnv, npm_config_nodedir: noNativeBuild, PRIVATE_PROCESS_WERROR: '', ...env },
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr };
  }

  it('says on stderr, with the warning’s code, when no native build could be made, and lets the install succeed', () => {
    const r = failedInstall();
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('PRIVATE_PROCESS_DEGRADED');
  });

  it('fails the install under PRIVATE_PROCESS_STRICT=1', () => {
    const r = failedInstall({ PRIVATE_PROCESS_STRICT: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PRIVATE_PROCESS_DEGRADED');
  });
});
