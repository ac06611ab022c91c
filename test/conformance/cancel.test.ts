import { getEventListeners, once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunError, ProcessStatus, runPrivate, spawnPrivate } from '../../esm/index.mjs';
import { modesHere } from '../helpers/backends.js';
import { rejection } from '../helpers/assert.js';
import { checkNoLeaks, sh } from '../helpers/children.js';
import { liveChildren } from '../helpers/leaks.js';
import { blockUntil, blockUntilExited } from '../helpers/process.js';
import { untilExists, watchTimers, type TimerWatch } from '../helpers/timers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pp-cancel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Delays nothing else uses, so that the timers of these tests can be told apart.
const TIMEOUT = 60_001;
const GRACE = 60_002;
const SHORT_TIMEOUT = 51;
const SHORT_GRACE = 53;

/** A child that ignores SIGTERM, and says so on stdout once it does. */
const stubborn = sh('trap "" TERM; echo ready; exec sleep 30');

/** Resolves with the first chunk of a stream, then lets the rest flow away. */
async function firstChunk(stream: Readable | null): Promise<string> {
  const [chunk] = await once(stream!, 'data');
  return String(chunk);
}

describe.each(modesHere())('cancellation ($name)', ({ backend, isolation }) => {
  checkNoLeaks();
  let timers: TimerWatch;
  beforeEach(() => {
    timers = watchTimers(TIMEOUT, GRACE, SHORT_TIMEOUT, SHORT_GRACE);
  });
  afterEach(() => {
    timers.stop();
  });

  describe('spawnPrivate', () => {
    it('killGraceMs: a child that ignores killSignal gets SIGKILL after the abort', async () => {
      const ac = new AbortController();
      const h = spawnPrivate(...stubborn, {
        backend,
        isolation,
        stdio: ['ignore', 'pipe', 'ignore'],
        signal: ac.signal,
        killGraceMs: SHORT_GRACE,
      });
      expect(await firstChunk(h.stdout)).toBe('ready\n');
      ac.abort();
      const [status] = await Promise.all([h.wait(), once(h.stdout!, 'close')]);
      expect(status.signal).toBe('SIGKILL');
      expect(timers.pending()).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('killGraceMs: a child that ignores killSignal gets SIGKILL after the timeout', async () => {
      // SIGCONT's default action is to go on running: a child that survives killSignal from its first instruction.
      const h = spawnPrivate('sleep', ['30'], {
        backend,
        isolation,
        stdio: 'ignore',
        timeout: SHORT_TIMEOUT,
        killSignal: 'SIGCONT',
        killGraceMs: SHORT_GRACE,
      });
      expect((await h.wait()).signal).toBe('SIGKILL');
      expect(timers.pending()).toBe(0);
    });

    it('killGraceMs: a child that dies of killSignal is not sent SIGKILL, and no timer is left', async () => {
      const ac = new AbortController();
      const h = spawnPrivate('sleep', ['30'], {
        backend,
        isolation,
        stdio: 'ignore',
        signal: ac.signal,
        timeout: TIMEOUT,
        killGraceMs: GRACE,
      });
      ac.abort();
      expect((await h.wait()).signal).toBe('SIGTERM');
      expect(timers.created()).toBe(2);
      expect(timers.pending()).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('clears the timeout and removes the abort listener when the child exits by itself', async () => {
      const ac = new AbortController();
      const h = spawnPrivate('true', [], {
        backend,
        isolation,
        stdio: 'ignore',
        signal: ac.signal,
        timeout: TIMEOUT,
        killGraceMs: GRACE,
      });
      expect((await h.wait()).success).toBe(true);
      expect(timers.created()).toBe(1);
      expect(timers.pending()).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('an already-aborted signal still starts the child, then stops it: wait() resolves with the status', async () => {
      const h = spawnPrivate('sleep', ['30'], { backend, isolation, stdio: 'ignore', signal: AbortSignal.abort() });
      expect((await h.wait()).signal).toBe('SIGTERM');
    });

    it.each([
      ['a string', '5', 'ERR_INVALID_ARG_TYPE'],
      ['a negative number', -1, 'ERR_OUT_OF_RANGE'],
      ['a fraction', 1.5, 'ERR_OUT_OF_RANGE'],
    ])('killGraceMs as %s throws before anything is spawned', (_, killGraceMs, code) => {
      const before = liveChildren();
      expect(() => spawnPrivate('true', [], { backend, isolation, killGraceMs: killGraceMs as never })).toThrow(
        expect.objectContaining({ code }),
      );
      expect(liveChildren()).toEqual(before);
    });
  });

  describe('runPrivate', () => {
    it('aborting rejects with an AbortError whose cause is the reason, once the child is reaped', async () => {
      const ac = new AbortController();
      const reason = new Error('changed my mind');
      const run = runPrivate(...sh('echo started; exec sleep 30'), {
        backend,
        isolation,
        signal: ac.signal,
        timeout: TIMEOUT,
      });
      ac.abort(reason);
      const err = await rejection(run);
      expect(err.name).toBe('AbortError');
      expect(err.code).toBe('ABORT_ERR');
      expect(err.cause).toBe(reason);
      expect(err.status).toBeInstanceOf(ProcessStatus);
      expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
      expect(err.spawnargs).toEqual(['/bin/sh', '-c', 'echo started; exec sleep 30']);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      expect(timers.pending()).toBe(0);
    });

    it('an abort without a reason has the signal’s own reason as its cause', async () => {
      const ac = new AbortController();
      const run = runPrivate('sleep', ['30'], { backend, isolation, signal: ac.signal });
      ac.abort();
      const err = await rejection(run);
      expect(err.cause).toBe(ac.signal.reason);
      expect((err.cause as Error).name).toBe('AbortError');
    });

    it('a run aborted with a reason says the reason after the command, as execa does, the reason its cause', async () => {
      const ac = new AbortController();
      const run = runPrivate('sleep', ['30'], { backend, isolation, signal: ac.signal });
      ac.abort(new Error('user cancelled'));
      const err = await rejection(run);
      expect(err.code).toBe('ABORT_ERR');
      expect(err.cause).toBe(ac.signal.reason);
      // The message is the feature here: it carries the reason, which is what a user reads first.
      expect(err.shortMessage).toBe('Command was aborted: sleep 30\nuser cancelled');
      const said = await rejection(
        runPrivate('sleep', ['30'], { backend, isolation, signal: AbortSignal.abort('bye') }),
      );
      expect(said).toMatchObject({ shortMessage: 'Command was aborted: sleep 30\nbye', cause: 'bye' });
    });

    it('an already-aborted signal rejects with an AbortError and starts nothing', async () => {
      const marker = path.join(dir, 'started');
      const before = liveChildren();
      const reason = new Error('too late');
      const err = await rejection(
        runPrivate(...sh(`touch ${marker}`), { backend, isolation, signal: AbortSignal.abort(reason) }),
      );
      expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
      // Nothing ran: empty output and null status fields, as RunError types them.
      expect(err).toMatchObject({ pid: null, stdout: '', stderr: '', status: null, exitCode: null, signal: null });
      expect(isRunError(err)).toBe(true);
      expect(liveChildren()).toEqual(before);
      expect(existsSync(marker)).toBe(false);
      // Not even the PATH lookup: an AbortError, not ENOENT.
      const missing = await rejection(
        runPrivate('no-such-command-here', [], { backend, isolation, signal: AbortSignal.abort() }),
      );
      expect(missing.code).toBe('ABORT_ERR');
    });

    it('an already-aborted signal does not hide bad arguments: they still throw', () => {
      expect(() => runPrivate('true', [], { signal: AbortSignal.abort(), maxBuffer: -1 })).toThrow(
        expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
      );
    });

    it('a timeout rejects with ETIMEDOUT once the child is reaped', async () => {
      const err = await rejection(
        runPrivate('sleep', ['30'], { backend, isolation, timeout: SHORT_TIMEOUT, killGraceMs: GRACE }),
      );
      expect(err.code).toBe('ETIMEDOUT');
      expect((err.status as ProcessStatus).signal).toBe('SIGTERM');
      expect(err.signal).toBe('SIGTERM');
      expect(timers.created()).toBe(2);
      expect(timers.pending()).toBe(0);
    });

    it('a timeout also bounds output that a descendant keeps open after the child exits', async () => {
      const err = await rejection(
        runPrivate(...sh('(while echo tick; do sleep 0.05; done) & exit 0'), { backend, isolation, timeout: 300 }),
      );
      expect(err.code).toBe('ETIMEDOUT');
      expect(String(err.stdout)).toMatch(/^(tick(\ntick)*)?$/);
    });

    it('killGraceMs: a child that ignores killSignal gets SIGKILL and the run still rejects with AbortError', async () => {
      const ready = path.join(dir, `ready-${backend}-${isolation}`);
      const ac = new AbortController();
      const run = runPrivate('/bin/sh', ['-c', 'trap "" TERM; : > "$0"; exec sleep 30', ready], {
        backend,
        isolation,
        signal: ac.signal,
        killGraceMs: SHORT_GRACE,
      });
      await untilExists(ready);
      ac.abort();
      const err = await rejection(run);
      expect(err.code).toBe('ABORT_ERR');
      expect(err.signal).toBe('SIGKILL');
      expect(timers.pending()).toBe(0);
    });

    /**
     * Starts a run of a child that writes 60,000 bytes (less than a pipe holds), then its pid to a
     * file, then waits to be stopped; `started` is called at once; then it keeps the event loop
     * busy until the child has written them all, and returns the run and the child's pid.
     */
    function writer(name: string, options: { signal?: AbortSignal; timeout?: number }, started = () => {}) {
      const wrote = path.join(dir, `${name}-${backend}-${isolation}`);
      const script = 'printf "%059999d\\n" 0; echo $$ > "$0.tmp"; mv "$0.tmp" "$0"; exec sleep 30';
      const run = runPrivate('/bin/sh', ['-c', script, wrote], { backend, isolation, ...options });
      started();
      expect(blockUntil(() => existsSync(wrote))).toBe(true);
      const pid = Number(readFileSync(wrote, 'utf8'));
      rmSync(wrote);
      return { run, pid };
    }

    // The event loop is kept busy from the spawn until the stopped child is dead, so that its output
    // and its exit wait for the same turn. Three runs: the broken order is not taken every time.
    it.each(['abort', 'timeout'] as const)(
      'a run stopped by %s keeps every byte its child wrote, when its exit and its output are seen in the same turn',
      async (stop) => {
        for (let i = 0; i < 3; i++) {
          const ac = new AbortController();
          let pid = 0;
          let dead = false;
          // A timer made with the run's own, with the same delay: it runs right after the kill,
          // before the loop looks for I/O, and holds the loop until the child is dead.
          const holdAfterTimeout = (): void => void setTimeout(() => (dead = blockUntilExited(pid)), SHORT_TIMEOUT);
          const options = stop === 'abort' ? { signal: ac.signal } : { timeout: SHORT_TIMEOUT };
          const started = writer(`stopped-${stop}`, options, stop === 'timeout' ? holdAfterTimeout : undefined);
          pid = started.pid;
          if (stop === 'abort') {
            ac.abort();
            dead = blockUntilExited(pid);
          } else {
            // Until both timers are due, so that the loop runs them one after the other.
            const since = performance.now();
            expect(blockUntil(() => performance.now() - since > SHORT_TIMEOUT + 10)).toBe(true);
          }
          const err = await rejection(started.run);
          expect(dead).toBe(true);
          expect(err).toMatchObject({ code: stop === 'abort' ? 'ABORT_ERR' : 'ETIMEDOUT', signal: 'SIGTERM' });
          expect(String(err.stdout)).toBe('0'.repeat(59_999));
        }
      },
    );

    it('aborting after the run has settled does nothing, and nothing listens any more', async () => {
      const ac = new AbortController();
      const r = await runPrivate('true', [], { backend, isolation, signal: ac.signal, timeout: TIMEOUT });
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      expect(timers.pending()).toBe(0);
      ac.abort();
      expect(r.status.success).toBe(true);
    });
  });
});
