/**
 * Small helpers for tests that start many children.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { openFds, zombieChildren } from './leaks.js';

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
    expect(openFds().filter((fd) => !before.includes(fd))).toEqual([]);
  });
}
