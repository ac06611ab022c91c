/**
 * Small helpers for tests that start many children.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { readlinkSync } from 'node:fs';
import { tableCount } from '../../dist/cjs/testing.js';
import { openFds, zombieChildren } from './leaks.js';
import { scaled } from './time.mjs';

function fdTarget(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** sh runs a shell command line, as [file, args] for spawnPrivate. */
export function sh(script: string): [string, string[]] {
  return ['/bin/sh', ['-c', script]];
}

/**
 * checkNoLeaks makes every test of the file fail when it leaves an fd open or
 * a zombie child behind. A descriptor may take one event-loop turn to be
 * released after the last wait, so the check yields before it looks. libuv's
 * own SIGCHLD pipe is made once, before the first test, by one ordinary child.
 */
export function checkNoLeaks(): void {
  let before: number[] = [];
  beforeAll(async () => {
    await new Promise((resolve) => spawn('/bin/true').on('exit', resolve));
  });
  beforeEach(() => {
    before = openFds();
  });
  afterEach(async () => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(zombieChildren()).toEqual([]);
    // The orphan reaper's eventfd is made once per process, on first use.
    const isEventfd = (fd: number) => fdTarget(fd) === 'anon_inode:[eventfd]';
    expect(openFds().filter((fd) => !before.includes(fd) && !isEventfd(fd))).toEqual([]);
  });
}

/**
 * untilAllReaped resolves once no private child is left unreaped, those whose handles were dropped
 * included: the table is empty and no child of this process is a zombie. The deadline, stretched
 * by `scaled()`, only guards against a hang.
 */
export async function untilAllReaped(): Promise<void> {
  const stop = Date.now() + scaled(20_000);
  while (tableCount() !== 0 || zombieChildren().length !== 0) {
    if (Date.now() > stop) {
      throw new Error(`never reaped: ${tableCount()} in the table, zombies ${zombieChildren().join(' ') || 'none'}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
