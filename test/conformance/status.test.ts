import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnPrivate, ProcessStatus } from '../../esm/index.mjs';
import { modesHere, unlessPortable } from '../helpers/backends.js';
import { checkNoLeaks, sh } from '../helpers/children.js';

describe.each(modesHere())('exit statuses ($name)', ({ backend, isolation }) => {
  const sync = unlessPortable(backend, 'the exit comes through the event loop, which waitSync() would block');
  const usage = unlessPortable(backend, "child_process's exit event carries no resource usage");
  checkNoLeaks();

  it('round-trips every exit code from 0 to 255', async () => {
    const handles = Array.from({ length: 256 }, (_, code) =>
      spawnPrivate(...sh(`exit ${code}`), { backend, isolation, stdio: 'ignore' }),
    );
    const statuses = await Promise.all(handles.map((h) => h.wait()));
    statuses.forEach((s, code) => {
      expect(s).toBeInstanceOf(ProcessStatus);
      expect(s.pid).toBe(handles[code].pid);
      expect(s.exitCode).toBe(code);
      expect(s.signal).toBeNull();
      expect(s.exited).toBe(true);
      expect(s.signaled).toBe(false);
      expect(s.success).toBe(code === 0);
      expect(s.toString()).toBe(`pid ${s.pid} exit ${code}`);
    });
  });

  it.each(['SIGHUP', 'SIGINT', 'SIGKILL', 'SIGSEGV', 'SIGTERM', 'SIGUSR1', 'SIGABRT', 'SIGPIPE'] as const)(
    'reports death by %s with its name and number',
    async (signal) => {
      const h = spawnPrivate(...sh(`kill -${signal.slice(3)} $$; sleep 5`), { backend, isolation, stdio: 'ignore' });
      const s = await h.wait();
      expect(s.exitCode).toBeNull();
      expect(s.signal).toBe(signal);
      expect(s.signaled).toBe(true);
      expect(s.success).toBe(false);
      expect(s.toString()).toMatch(new RegExp(`^pid ${h.pid} ${signal} \\(signal \\d+\\)`));
    },
  );

  it('wait() resolves the same ProcessStatus object every time', async () => {
    const h = spawnPrivate(...sh('exit 3'), { backend, isolation, stdio: 'ignore' });
    const a = await h.wait();
    const b = await h.wait();
    expect(b).toBe(a);
    expect(h.status).toBe(a);
    expect(h.waitSync()).toBe(a);
    expect(h.waitNonblock()).toBe(a);
  });

  it.skipIf(sync !== '')(`waitSync() blocks until exit and wait() then gives the same object${sync}`, async () => {
    const h = spawnPrivate('/bin/sleep', ['0.1'], { backend, isolation, stdio: 'ignore' });
    const s = h.waitSync();
    expect(s.exitCode).toBe(0);
    expect(await h.wait()).toBe(s);
  });

  it('waitNonblock() returns null while the child runs, then its status', async () => {
    const h = spawnPrivate('/bin/sleep', ['5'], { backend, isolation, stdio: 'ignore' });
    expect(h.waitNonblock()).toBeNull();
    expect(h.status).toBeNull();
    h.kill('SIGKILL');
    let s: ProcessStatus | null = null;
    while ((s = h.waitNonblock()) === null) await new Promise((r) => setTimeout(r, 5));
    expect(s.signal).toBe('SIGKILL');
    expect(await h.wait()).toBe(s);
  });

  it.skipIf(usage !== '')(`gives the resource usage the kernel counted${usage}`, async () => {
    const s = await spawnPrivate(...sh('i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'), {
      backend,
      isolation,
      stdio: 'ignore',
    }).wait();
    expect(s.resourceUsage).not.toBeNull();
    expect(s.resourceUsage!.userCPUTime + s.resourceUsage!.systemCPUTime).toBeGreaterThan(0);
    expect(s.resourceUsage!.maxRSS).toBeGreaterThan(0);
  });

  // Linux's accounting (the mm the child shared until exec); pdfork copies the memory, and FreeBSD counts its own way.
  const linuxPeak =
    usage !== '' ? usage : backend === 'freebsd' ? ' (skipped: a rule of Linux accounting, not FreeBSD’s)' : '';
  it.skipIf(linuxPeak !== '')(
    `counts this process’s peak into maxRSS: the child shared its memory until exec (see ResourceUsage)${linuxPeak}`,
    async () => {
      // The peak of this process's memory as it is now (VmHWM), not getrusage()'s maxRSS: that one also
      // counts the memory of the program this process was exec'd from (vitest's main process).
      const parentPeak = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
      const s = await spawnPrivate('/bin/true', [], { backend, stdio: 'ignore' }).wait();
      // The kernel's RSS counters are per-CPU approximations, read at different moments: allow 10 %.
      // /bin/true alone peaks at a few MiB, far below this Node process.
      expect(s.resourceUsage!.maxRSS).toBeGreaterThan(parentPeak * 0.9);
    },
  );
});
