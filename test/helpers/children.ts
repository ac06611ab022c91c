/**
 * Small helpers for tests that start many children.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { readlinkSync } from 'node:fs';
import { tableCount } from '../../dist/cjs/testing.js';
import { devNullFds, openFds, zombieChildren } from './leaks.js';
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
 * The first test that spawns with an 'ignore' slot may add one descriptor of
 * /dev/null, which the addon keeps for the process's life; only once.
 */
let devNullKept = false;

export function checkNoLeaks(): void {
  let before: number[] = [];
  let nullsBefore = 0;
  beforeAll(async () => {
    await new Promise((resolve) => spawn('/bin/true').on('exit', resolve));
  });
  beforeEach(() => {
    before = openFds();
    nullsBefore = devNullFds().length;
  });
  afterEach(async () => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(zombieChildren()).toEqual([]);
    // The orphan reaper's eventfd is made once per process, on first use.
    const isEventfd = (fd: number) => fdTarget(fd) === 'anon_inode:[eventfd]';
    let added = openFds().filter((fd) => !before.includes(fd) && !isEventfd(fd));
    // So is the /dev/null that every 'ignore' slot shares: one more, once, then kept (a test that
    // closes it sees it reopened, perhaps on another number).
    const nulls = devNullFds().length;
    if (nulls <= nullsBefore + (devNullKept ? 0 : 1)) {
      devNullKept ||= nulls > nullsBefore;
      added = added.filter((fd) => fdTarget(fd) !== '/dev/null');
    }
    expect(added).toEqual([]);
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
