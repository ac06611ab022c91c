import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidfdBackendsHere } from '../helpers/backends.js';

const fixture = path.join(__dirname, '..', 'fixtures', 'recycle.cjs');
const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot
  ? ' (skipped: needs root for unshare --pid and ns_last_pid)'
  : pidfdBackendsHere().length === 0
    ? ' (skipped: no pidfd backend on this platform)'
    : '';

// The fixture needs its own pid namespace to make the kernel reuse a pid on demand.
describe('a reaped child’s pid, once reused', () => {
  it.skipIf(skipReason !== '')(`is never signalled through the old handle${skipReason}`, async () => {
    const { stdout } = await promisify(execFile)(
      'unshare',
      ['--pid', '--fork', '--mount-proc', process.execPath, fixture],
      { timeout: 60_000 },
    );
    const r = JSON.parse(stdout.trim());
    expect(r.decoyPid).toBe(r.pid); // the kernel did reuse the pid
    expect(r.rawKillReaches).toBe(true); // a kill by pid would hit the decoy
    expect(r.killError).toBe('ESRCH'); // the handle refuses, without a system call
    expect(r.decoyState).toMatch(/^[RS]$/); // and the decoy was not killed
  });
});
