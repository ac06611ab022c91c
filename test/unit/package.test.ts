import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preloadPath } from '../../esm/index.mjs';

// native.ts is internal: the unit test reads the CommonJS build directly.
const { shimBeside } = createRequire(import.meta.url)('../../dist/cjs/native.js') as {
  shimBeside(addon: string): string;
};

const gypBuild = createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string };
const release = path.join(__dirname, '..', '..', 'build', 'Release');
// A prebuild-only install (the arm64 guest's) has no build/Release: its prebuild is checked instead.
const compiled = existsSync(release);
const prebuilds = path.join(__dirname, '..', '..', 'prebuilds');
const prebuilt = existsSync(path.join(prebuilds, `${process.platform}-${process.arch}`));

it.skipIf(!compiled)(
  `builds exactly one .node file, the addon, so that node-gyp-build cannot load the shim instead${compiled ? '' : ' (skipped: no build/Release, a prebuild-only install: its prebuild is checked below)'}`,
  () => {
    expect(readdirSync(release).filter((f) => f.endsWith('.node'))).toEqual(['private_process.node']);
  },
);

it.skipIf(!prebuilt)(
  `takes from prebuilds/ the addon tagged for this platform and C library, with its shim beside it${prebuilt ? '' : ` (skipped: no prebuilds/${process.platform}-${process.arch}: bash scripts/prebuild.sh makes them)`}`,
  () => {
    // The prebuilds alone, as an install from the published package has them.
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-prebuilt-'));
    try {
      symlinkSync(prebuilds, path.join(dir, 'prebuilds'));
      const addon = path.relative(dir, gypBuild.path(dir));
      expect(addon).toMatch(
        new RegExp(`^prebuilds/${process.platform}-${process.arch}/node\\.napi\\.(glibc|musl)\\.node$`),
      );
      if (process.platform === 'linux') expect(existsSync(shimBeside(path.join(prebuilds, '..', addon)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

it.skipIf(preloadPath === null)(
  `loads the addon node-gyp-build finds for the package, build/Release's or else the prebuild, and the shim beside it${preloadPath === null ? ' (skipped: no shim on this platform)' : ''}`,
  () => {
    // Or the build a test run names instead (the sanitized one, in npm run test:sanitize).
    const addon = process.env.PRIVATE_PROCESS_TEST_ADDON || gypBuild.path(path.join(__dirname, '..', '..'));
    expect(path.dirname(preloadPath!)).toBe(path.dirname(addon));
  },
);

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

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('the package as published', () => {
  it('has a license file, its repository, homepage and bugs, and ships both', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} the private-process authors\n/,
    );
    expect(pkg.repository.url).toBe('git+https://github.com/private-process/private-process.git');
    expect(pkg.homepage).toMatch(/^https:\/\/github\.com\/private-process\/private-process/);
    expect(pkg.bugs.url).toBe('https://github.com/private-process/private-process/issues');
    expect(pkg.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'docs/', 'prebuilds/', 'demo/']));
  });

  it('ships the demo as a command, which runs from where the package is installed', () => {
    const bin = path.join(root, pkg.bin['private-process-demo']);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bin).mode & 0o111).toBe(0o111);
  });

  it('names prebuilt addons by their C library, and takes the shim built against the same one', () => {
    expect(pkg.scripts.prebuildify).toMatch(/prebuildify .*--tag-libc/);
    expect(shimBeside('/p/prebuilds/linux-x64/node.napi.glibc.node')).toBe(
      '/p/prebuilds/linux-x64/private_process_shim.glibc.so',
    );
    expect(shimBeside('/p/prebuilds/linux-x64/node.napi.musl.node')).toBe(
      '/p/prebuilds/linux-x64/private_process_shim.musl.so',
    );
    expect(shimBeside('/p/build/Release/private_process.node')).toBe('/p/build/Release/private_process_shim.so');
  });
});

describe('publishing refuses a package without its prebuilt binaries', () => {
  const check = path.join(root, 'scripts', 'check-prebuilds.cjs');
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pp-prebuilds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function runCheck(): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [check, dir], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  }
  function put(file: string): void {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '');
  }

  it('is what prepublishOnly runs', () => {
    expect(pkg.scripts.prepublishOnly).toBe('node scripts/check-prebuilds.cjs');
  });

  // Every native backend's target: the addon, and its shim on Linux and macOS (FreeBSD needs none).
  const complete = [
    'linux-x64/node.napi.glibc.node',
    'linux-x64/private_process_shim.glibc.so',
    'linux-arm64/node.napi.glibc.node',
    'linux-arm64/private_process_shim.glibc.so',
    'linux-x64/node.napi.musl.node',
    'linux-x64/private_process_shim.musl.so',
    'linux-arm64/node.napi.musl.node',
    'linux-arm64/private_process_shim.musl.so',
    'darwin-x64/node.napi.glibc.node',
    'darwin-x64/private_process_shim.glibc.dylib',
    'darwin-arm64/node.napi.glibc.node',
    'darwin-arm64/private_process_shim.glibc.dylib',
    'freebsd-x64/node.napi.glibc.node',
    'freebsd-arm64/node.napi.glibc.node',
  ];

  it('is what prepack runs after making them, and what npm publish runs first', () => {
    expect(pkg.scripts.prepack).toBe('bash scripts/prebuild.sh');
    expect(readFileSync(path.join(root, 'scripts', 'prebuild.sh'), 'utf8')).toMatch(
      /\nnode scripts\/check-prebuilds\.cjs\n$/,
    );
  });

  it('refuses without any prebuilds, or without the shim', () => {
    expect(runCheck()).toMatchObject({ status: 1, stderr: expect.stringContaining('no glibc addon in linux-x64/') });
    put('linux-x64/node.napi.glibc.node');
    expect(runCheck()).toMatchObject({ status: 1, stderr: expect.stringContaining('no glibc preload shim') });
  });

  it.each(complete)('refuses a set without %s', (missing) => {
    for (const file of complete) if (file !== missing) put(file);
    const r = runCheck();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.dirname(missing)}/`);
  });

  it('refuses an addon whose name does not say its C library', () => {
    for (const file of complete) put(file);
    put('linux-arm64/node.napi.node');
    expect(runCheck()).toMatchObject({ status: 1, stderr: expect.stringContaining('--tag-libc') });
  });

  it('wants the dylib shim beside a macOS addon, and names it by the C library tag node-gyp-build gives', () => {
    for (const file of complete) if (!file.startsWith('darwin-arm64/')) put(file);
    put('darwin-arm64/node.napi.glibc.node');
    put('darwin-arm64/private_process_shim.glibc.so');
    expect(runCheck()).toMatchObject({ status: 1, stderr: expect.stringContaining('no shim beside darwin-arm64/') });
    put('darwin-arm64/private_process_shim.glibc.dylib');
    expect(runCheck().status).toBe(0);
    // And the loader finds it there: shimBeside names the .so, shimPath tries the .dylib.
    expect(shimBeside('/p/prebuilds/darwin-arm64/node.napi.glibc.node')).toBe(
      '/p/prebuilds/darwin-arm64/private_process_shim.glibc.so',
    );
  });

  it('lets the complete set of eight targets through', () => {
    for (const file of complete) put(file);
    expect(runCheck().status).toBe(0);
  });
});

it('lists every platform Node runs on in "os", each with a backend: native where binding.gyp builds one, portable elsewhere', () => {
  const { NATIVE, plan } = createRequire(import.meta.url)('../../scripts/install.cjs');
  expect([...pkg.os].sort()).toEqual(['aix', 'android', 'darwin', 'freebsd', 'linux', 'openbsd', 'sunos', 'win32']);
  expect(pkg.scripts.install).toBe('node scripts/install.cjs');
  expect(pkg.files).toContain('scripts/install.cjs');
  const gyp = readFileSync(path.join(root, 'binding.gyp'), 'utf8');
  for (const os of pkg.os) {
    const gypName = os === 'darwin' ? 'mac' : os;
    expect(plan(os)).toBe(NATIVE.includes(os) ? 'native' : 'portable');
    expect(gyp.includes(`OS=='${gypName}'`)).toBe(plan(os) === 'native');
  }
});

it('runs the whole API on the portable backend where no native build loads, and capabilities() says why', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'pp-no-native-'));
  try {
    const script = `
      const pp = require(${JSON.stringify(root)});
      const caps = pp.capabilities();
      const h = pp.spawnPrivate('/bin/sh', ['-c', 'exit 5'], { stdio: 'ignore' });
      h.wait().then((s) => console.log(JSON.stringify({ caps, backend: h.backend, code: s.exitCode })));`;
    // Without the test-only override of the addon (the sanitizer run sets it): node-gyp-build alone
    // decides, and finds nothing.
    const { PRIVATE_PROCESS_TEST_ADDON: _, ...env } = process.env;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...env, PRIVATE_PROCESS_PREBUILD: empty, PRIVATE_PROCESS_BACKEND: 'auto' },
    });
    const r = JSON.parse(stdout);
    expect(r.caps.backend).toBe('portable');
    expect(r.caps.backends.linux.reason).toMatch(/^no native build could be loaded/);
    expect(r.caps.preloadPath).toBeNull();
    expect(r.backend).toBe('portable');
    expect(r.code).toBe(5);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

it("makes compiler warnings errors only with PRIVATE_PROCESS_WERROR=1, never in a user's install", () => {
  const gyp = readFileSync(path.join(root, 'binding.gyp'), 'utf8');
  const command = /"pp_werror%": "<!\(node -p \\"(.*)\\"\)"/.exec(gyp)?.[1]?.replace(/\\"/g, '"');
  expect(command).toBeDefined();
  const flag = (werror: string | undefined): string =>
    execFileSync(process.execPath, ['-p', command!], {
      env: { ...process.env, PRIVATE_PROCESS_WERROR: werror },
      encoding: 'utf8',
    }).trim();
  expect(flag('1')).toBe('-Werror');
  expect(flag(undefined)).toBe('-Wno-error');
  expect(gyp.match(/"-Werror"/g)).toBeNull();
});
