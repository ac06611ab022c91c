import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { capabilities } from '../../esm/index.mjs';
import { scaled } from '../helpers/time.mjs';

/** Runs one subcommand of test/unit/native-units.c and parses its JSON line. */
async function unit(name: string, ...args: string[]): Promise<any> {
  const { stdout } = await promisify(execFile)(inject('helpers').nativeUnits, [name, ...args]);
  return JSON.parse(stdout);
}

it('the fallback closes every fd above the slots in its children where the C library has no addclosefrom_np (musl, glibc before 2.34)', async () => {
  const r = await unit('close-each');
  // Without the file actions, a child inherits what is not close-on-exec; with them, nothing.
  expect(r.without).toEqual({ open: 1, cloexec: 0 });
  expect(r.with).toEqual({ open: 0, cloexec: 0 });
});

it('the table lock blocks every signal, the C library’s internal ones (32, 33) included', async () => {
  const { sigBlk } = await unit('sigmask');
  // SIGKILL (9) and SIGSTOP (19) cannot be blocked; every other of the 64 is.
  const unblockable = (1n << 8n) | (1n << 18n);
  expect(BigInt(`0x${sigBlk}`) | unblockable).toBe((1n << 64n) - 1n);
});

const noExitInfo = capabilities().pidfdInfoExit
  ? ''
  : ' (skipped: the kernel keeps no exit for a pidfd (PIDFD_INFO_EXIT, Linux 6.15), so recovery does not wait)';
it.skipIf(noExitInfo !== '')(
  `theft recovery waits for a slow reaper to release the child before it reads the exit${noExitInfo}`,
  async () => {
    expect(await unit('released')).toEqual({ released: true });
  },
);

it('threads that spawn once and end leave no stack mapped behind', async () => {
  const { threads, firstKiB, secondKiB } = await unit('stacks');
  // A leak of one 64 KiB stack per thread would grow the second round by threads * 64 KiB.
  expect(secondKiB - firstKiB).toBeLessThan((threads * 64) / 2);
});

it('two copies of the package in one process use one table of private children', async () => {
  const [a, b] = inject('helpers').tableCopies;
  expect(await unit('copies', a, b)).toEqual({ shared: true, conflictA: 0, conflictB: 0 });
});

it('a copy with another table version refuses, and says which, rather than misread it', async () => {
  const [a, , other] = inject('helpers').tableCopies;
  expect(await unit('copies', a, other)).toEqual({ shared: false, conflictA: 0, conflictB: 3 });
});

const yama = '/proc/sys/kernel/yama/ptrace_scope';
const noTrace =
  capabilities().backend !== 'linux' || !capabilities().isolations.hidden.available
    ? ' (skipped: hidden isolation is Linux’s and not available here)'
    : existsSync(yama) && Number(readFileSync(yama, 'utf8')) >= 2
      ? ' (skipped: Yama forbids tracing a child here, which the test needs to stop the intermediate)'
      : '';
it.skipIf(noTrace !== '')(
  `kill() of a hidden child whose intermediate died holding the lock answers ESRCH instead of blocking${noTrace}`,
  async () => {
    const r = await unit('locked-death', String(scaled(5000)));
    // The intermediate was killed inside its report; its child's status went with it.
    expect(r).toEqual({ held: true, returned: true, kill: -3, reap: -10 });
  },
);
