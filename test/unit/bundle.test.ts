import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/env.js';

/**
 * A program bundled with esbuild either keeps the native backend or says that it lost it
 * (docs/install.md, "Bundlers"). The program is built in a project of its own, where the package
 * is installed (a link to this checkout), then run there, or from a folder without it.
 */
const root = path.join(__dirname, '..', '..');
const fixtures = path.join(__dirname, '..', 'fixtures');
const project = mkdtempSync(path.join(tmpdir(), 'pp-bundle-'));
const elsewhere = mkdtempSync(path.join(tmpdir(), 'pp-bundle-alone-'));
mkdirSync(path.join(project, 'node_modules'));
symlinkSync(root, path.join(project, 'node_modules', 'private-process'));
for (const f of ['bundled-app.mjs', 'bundled-app.cjs', 'bundled-report.cjs']) {
  cpSync(path.join(fixtures, f), path.join(project, f));
}
afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const baseEnv = cleanEnv();

interface Report {
  backend?: string;
  spawned?: string | { code: string };
  warnings?: string[];
  /** code is the error the program's import failed with. */
  code?: string;
}

/** Bundles the program (`entry` in the project) into `out`, then runs it, from `dir`. */
async function bundleAndRun(
  entry: string,
  options: BuildOptions,
  { dir = project, env = {} }: { dir?: string; env?: Record<string, string> } = {},
): Promise<Report> {
  const out = path.join(dir, options.format === 'esm' ? 'out.mjs' : 'out.cjs');
  await build({
    entryPoints: [path.join(project, entry)],
    bundle: true,
    platform: 'node',
    outfile: out,
    logLevel: 'silent',
    absWorkingDir: project,
    ...options,
  });
  // The import's own failure, if any, is reported as the program's reports are: one JSON line. The
  // runner is a module, as the bundle is: `node -e` would give it a global require.
  const runner = path.join(dir, 'run.mjs');
  writeFileSync(
    runner,
    `import(${JSON.stringify(out)}).catch((e) => console.log(JSON.stringify({ code: e.code ?? e.message })));\n`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', runner], {
    cwd: dir,
    env: { ...baseEnv, ...env },
  });
  return JSON.parse(stdout);
}

const native = process.platform === 'linux' ? 'linux' : process.platform === 'freebsd' ? 'freebsd' : 'fallback';
const nativePlatform = ['linux', 'darwin', 'freebsd'].includes(process.platform);
const unlessNative = nativePlatform ? '' : ` (skipped: ${process.platform} has no native backend)`;

describe.skipIf(!nativePlatform)(`esbuild, --platform=node${unlessNative}`, () => {
  it('ESM: runs on the native backend, the package loaded from where it is installed', async () => {
    const r = await bundleAndRun('bundled-app.mjs', { format: 'esm' });
    expect(r).toEqual({ backend: native, spawned: native, warnings: [] });
  });

  it('ESM: fails at start-up, with MODULE_NOT_FOUND, where the package is not installed', async () => {
    const r = await bundleAndRun('bundled-app.mjs', { format: 'esm' }, { dir: elsewhere });
    expect(r).toEqual({ code: 'MODULE_NOT_FOUND' });
  });

  it('CommonJS, with the package external: runs on the native backend', async () => {
    const r = await bundleAndRun('bundled-app.cjs', { format: 'cjs', external: ['private-process'] });
    expect(r).toEqual({ backend: native, spawned: native, warnings: [] });
  });

  it('CommonJS, with the package inside the bundle: loses the addon, and says so once', async () => {
    const r = await bundleAndRun('bundled-app.cjs', { format: 'cjs' });
    expect(r).toEqual({ backend: 'portable', spawned: 'portable', warnings: ['PRIVATE_PROCESS_DEGRADED'] });
  });

  it('CommonJS, with the package inside the bundle, under PRIVATE_PROCESS_STRICT=1: the spawn throws', async () => {
    const r = await bundleAndRun('bundled-app.cjs', { format: 'cjs' }, { env: { PRIVATE_PROCESS_STRICT: '1' } });
    expect(r).toEqual({ backend: 'portable', spawned: { code: 'ERR_PRIVATE_PROCESS_DEGRADED' }, warnings: [] });
  });
});
