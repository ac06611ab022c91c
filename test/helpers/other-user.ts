/**
 * Running the package as another user. The checkout may be unreadable to
 * anyone but its owner (root's home and `mktemp -d` are mode 0700), so a
 * test that starts a fixture as another user gives that user a copy of
 * what it loads: the CommonJS build, node-gyp-build, the addon this run
 * loads, and the fixtures, in a fresh directory every user can read.
 */
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** Why another user could not reach `file`: the first directory on its way, or it, that others cannot use. */
function unreachable(file: string, mode: number): string | null {
  for (let p = path.resolve(file); ; p = path.dirname(p)) {
    const need = p === path.resolve(file) ? mode : 0o001;
    if ((statSync(p).mode & need) !== need) return p;
    if (path.dirname(p) === p) return null;
  }
}

/** Lets everyone read every file below dir, and enter every directory. */
function openToAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) openToAll(p);
    else chmodSync(p, statSync(p).mode | 0o444);
  }
}

/** The addon this process loads, as the package finds it (PRIVATE_PROCESS_PREBUILD included), or null. */
function addonPath(): string | null {
  if (process.env.PRIVATE_PROCESS_TEST_ADDON) return path.resolve(process.env.PRIVATE_PROCESS_TEST_ADDON);
  try {
    return (createRequire(__filename)('node-gyp-build') as { path(dir: string): string }).path(root);
  } catch {
    return null;
  }
}

/** OtherUserCopy is a readable copy of the package: where it is, the environment that loads its addon, and its removal. */
export interface OtherUserCopy {
  /** fixture returns the path of a copied fixture, by its name in test/fixtures. */
  fixture(name: string): string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/**
 * whyNoOtherUser says why another user could not run Node or a copy of the
 * package here ('' when it can): a title suffix for a test that skips.
 */
export function whyNoOtherUser(): string {
  const blocked = unreachable(process.execPath, 0o001) ?? unreachable(tmpdir(), 0o001);
  return blocked === null ? '' : ` (skipped: other users cannot reach ${blocked})`;
}

/**
 * copyForOtherUser copies the package's CommonJS build, its addon and the
 * named fixtures into a new directory under the system's temporary one,
 * readable by every user; remove() deletes it.
 */
export function copyForOtherUser(fixtures: readonly string[]): OtherUserCopy {
  const dir = mkdtempSync(path.join(tmpdir(), 'pp-other-user-'));
  cpSync(path.join(root, 'dist', 'cjs'), path.join(dir, 'dist', 'cjs'), { recursive: true });
  copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  const gyp = path.dirname(createRequire(__filename).resolve('node-gyp-build/package.json'));
  cpSync(gyp, path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  const addon = addonPath();
  if (addon !== null) {
    mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
    copyFileSync(addon, path.join(dir, 'build', 'Release', 'private_process.node'));
  }
  mkdirSync(path.join(dir, 'test', 'fixtures'), { recursive: true });
  for (const name of fixtures)
    copyFileSync(path.join(root, 'test', 'fixtures', name), path.join(dir, 'test', 'fixtures', name));
  openToAll(dir);
  // The copy's addon, whatever this run was told to load.
  const env: NodeJS.ProcessEnv = { ...process.env, PRIVATE_PROCESS_PREBUILD: dir };
  delete env.PRIVATE_PROCESS_TEST_ADDON;
  return {
    fixture: (name) => path.join(dir, 'test', 'fixtures', name),
    env,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
