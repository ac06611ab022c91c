import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { kqueueKeepsStolen, pidfdModesHere, unlessBackend } from '../helpers/backends.js';
import { scaled } from '../helpers/time.mjs';

const fixture = path.join(__dirname, '..', 'fixtures', 'recycle.cjs');
const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? '' : ' (skipped: needs root for unshare --pid and ns_last_pid)';

/** Runs the fixture as pid 1 of its own pid namespace, where the test can make the kernel reuse a pid. */
async function inPidNamespace(mode: string): Promise<any> {
  const { stdout } = await promisify(execFile)(
    'unshare',
    ['--pid', '--fork', '--mount-proc', process.execPath, fixture, mode, inject('helpers').thief],
    { timeout: scaled(60_000) },
  );
  return JSON.parse(stdout.trim());
}

describe('a reaped child’s pid, once reused', () => {
  const noPidfd = pidfdModesHere().length === 0 ? ' (skipped: no pidfd backend on this platform)' : '';
  it.skipIf(needsRoot !== '' || noPidfd !== '')(
    `is never signalled through the old handle${needsRoot}${noPidfd}`,
    async () => {
      const r = await inPidNamespace('pidfd');
      expect(r.decoyPid).toBe(r.pid); // the kernel did reuse the pid
      expect(r.rawKillReaches).toBe(true); // a kill by pid would hit the decoy
      expect(r.killResult).toBe(false); // the handle refuses, without a system call
      expect(r.decoyState).toMatch(/^[RS]$/); // and the decoy was not killed
    },
  );

  const noFallback = unlessBackend('fallback');
  it.skipIf(needsRoot !== '' || noFallback !== '')(
    `is never signalled nor reaped through the old handle of a fallback child that a foreign waitpid took${needsRoot}${noFallback}`,
    async () => {
      const { kill, wait } = await inPidNamespace('fallback');
      // The foreign reaper took it, and the kernel gave its pid to a child_process decoy.
      expect(kill.stolen).toBe(true);
      expect(kill.decoyPid).toBe(kill.pid);
      expect(kill.killResult).toBe(false); // as ChildProcess's kill() once the child is gone
      expect(kill.decoyState).toMatch(/^[RS]$/); // not stopped (T)
      // The pid went to a second private child: the old handle does not take its status.
      expect(wait.stolen).toBe(true);
      expect(wait.secondPid).toBe(wait.pid);
      // Its own status is lost, or, where a kqueue watched its exit and keeps what a thief took (macOS,
      // FreeBSD), kept: /bin/true's.
      expect(wait.old).toBe(kqueueKeepsStolen() ? `pid ${wait.pid} exit 0` : 'ERR_PRIVATE_STATUS_LOST');
      expect(wait.second).toBe(`pid ${wait.pid} exit 42`);
    },
  );
});
