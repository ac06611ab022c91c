import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnPrivate } from '../../esm/index.mjs';

/**
 * The portable backend's Windows logic, run here: portable.ts is internal (not one of the
 * package's exports), and its PortableHost seam is given Windows' answers. libuv's error
 * numbers on Windows are its own, not -errno.
 */
interface Host {
  windows: boolean;
  errorName(code: number): string;
  kill(cp: unknown, signo: number): number;
  killGroup(pgid: number, signo: number): void;
}
const portable = createRequire(import.meta.url)('../../dist/cjs/portable.js') as {
  portableHost: Host;
  portableErrno(code: number, host?: Host): number;
  portableShellForm(shell: string | true, command: string, host?: Host): unknown;
};
const host = portable.portableHost;
const saved = { ...host };
const uvWindows: Record<number, string> = {
  [-4058]: 'ENOENT',
  [-4092]: 'EACCES',
  [-4083]: 'EBADF',
  [-4040]: 'ESRCH',
  [-4054]: 'ENOSYS',
  [-4052]: 'ENOTDIR',
};
const windowsErrorName = (code: number): string => uvWindows[code] ?? `Unknown system error ${code}`;
const windowsHost: Host = { ...saved, windows: true, errorName: windowsErrorName };

// Two PATH entries, the command in the second only, spelled with an extension as on Windows.
const dir = mkdtempSync(path.join(tmpdir(), 'pp-portable-windows-'));
const empty = path.join(dir, 'a');
const bin = path.join(dir, 'b');
mkdirSync(empty);
mkdirSync(bin);
writeFileSync(path.join(bin, 'tool.exe'), '#!/bin/sh\nexit 6\n');
writeFileSync(path.join(bin, 'sleeper.exe'), '#!/bin/sh\nexec sleep 60\n');
writeFileSync(path.join(bin, 'hello.cmd'), '@echo hello\r\n');
for (const f of ['tool.exe', 'sleeper.exe', 'hello.cmd']) chmodSync(path.join(bin, f), 0o755);
// Windows spells the search path Path; there is no PATH key at all.
const env = { Path: [empty, bin].join(path.delimiter), PATHEXT: '.COM;.EXE;.BAT;.CMD' };

// Every child a test started, stopped by its handle after the test whatever happened.
const started: { kill(signal: string): boolean }[] = [];
function track<H extends { kill(signal: string): boolean }>(h: H): H {
  started.push(h);
  return h;
}
afterEach(() => {
  Object.assign(host, saved);
  for (const h of started.splice(0)) h.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the portable backend on Windows (its host given Windows answers)', () => {
  it("turns libuv's Windows error numbers into the package's -errno", () => {
    expect(portable.portableErrno(-4058, windowsHost)).toBe(-constants.errno.ENOENT);
    expect(portable.portableErrno(-4092, windowsHost)).toBe(-constants.errno.EACCES);
    expect(portable.portableErrno(-4083, windowsHost)).toBe(-constants.errno.EBADF);
    expect(portable.portableErrno(-4040, windowsHost)).toBe(-constants.errno.ESRCH);
    expect(portable.portableErrno(-4054, windowsHost)).toBe(-constants.errno.ENOSYS);
    expect(portable.portableErrno(0, windowsHost)).toBe(0);
  });

  it('finds a command in a later Path entry, with a PATHEXT extension', async () => {
    Object.assign(host, windowsHost);
    const h = spawnPrivate('tool', [], { backend: 'portable', env, stdio: 'ignore' });
    expect((await h.wait()).exitCode).toBe(6);
  });

  it('says ENOENT at execve for a command in no Path entry', () => {
    Object.assign(host, windowsHost);
    expect(() => spawnPrivate('missing-tool', [], { backend: 'portable', env, stdio: 'ignore' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -constants.errno.ENOENT, step: 'execve', path: 'missing-tool' }),
    );
  });

  it('runs `shell` as child_process does on Windows: cmd.exe /d /s /c "<line>" verbatim, -c for another shell', () => {
    const line = 'echo hi & echo "there"';
    const cmd = { args: ['/d', '/s', '/c', `"${line}"`], verbatim: true };
    const saved = process.env.ComSpec;
    try {
      delete process.env.ComSpec;
      expect(portable.portableShellForm(true, line, windowsHost)).toEqual({ file: 'cmd.exe', ...cmd });
      process.env.ComSpec = 'C:\\Windows\\system32\\cmd.exe';
      expect(portable.portableShellForm(true, line, windowsHost)).toEqual({ file: process.env.ComSpec, ...cmd });
    } finally {
      if (saved === undefined) delete process.env.ComSpec;
      else process.env.ComSpec = saved;
    }
    expect(portable.portableShellForm('D:\\tools\\CMD.EXE', line, windowsHost)).toEqual({
      file: 'D:\\tools\\CMD.EXE',
      ...cmd,
    });
    expect(portable.portableShellForm('bash', line, windowsHost)).toEqual({
      file: 'bash',
      args: ['-c', line],
      verbatim: false,
    });
    // Elsewhere the portable backend's form is the native backends': /bin/sh -c.
    const posix = { ...windowsHost, windows: false };
    expect(portable.portableShellForm(true, line, posix)).toEqual({
      file: '/bin/sh',
      args: ['-c', line],
      verbatim: false,
    });
  });

  it("refuses a batch file, naming 'shell': Windows runs them only through cmd.exe", () => {
    Object.assign(host, windowsHost);
    let error: (Error & { code?: string }) | undefined;
    try {
      spawnPrivate('hello', [], { backend: 'portable', env, stdio: 'ignore' }).kill('SIGKILL');
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.code).toBe('ERR_NOT_SUPPORTED');
    expect(error?.message).toMatch(/`shell`/);
  });

  it('stops a detached child with kill(signal, { group: true }): a group there is the child alone', async () => {
    Object.assign(host, windowsHost, {
      killGroup: () => {
        throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH', errno: -4040 });
      },
    });
    const h = track(spawnPrivate('sleeper', [], { backend: 'portable', env, detached: true, stdio: 'ignore' }));
    expect(h.kill('SIGTERM', { group: true })).toBe(true);
    expect((await h.wait()).signal).toBe('SIGTERM');
  });

  it('stops a detached child when its timeout fires, without throwing from the timer', async () => {
    Object.assign(host, windowsHost, {
      killGroup: () => {
        throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH', errno: -4040 });
      },
    });
    const h = track(
      spawnPrivate('sleeper', [], { backend: 'portable', env, detached: true, timeout: 1, stdio: 'ignore' }),
    );
    expect((await h.wait()).signal).toBe('SIGTERM');
  });

  it("reports a child libuv finds gone (Windows' -4040) as gone: kill() returns false, never throws", async () => {
    Object.assign(host, windowsHost);
    const h = track(spawnPrivate('sleeper', [], { backend: 'portable', env, stdio: 'ignore' }));
    host.kill = () => -4040;
    expect(h.kill('SIGTERM')).toBe(false);
    host.kill = saved.kill;
    expect(h.kill('SIGKILL')).toBe(true);
    expect((await h.wait()).signal).toBe('SIGKILL');
  });
});
