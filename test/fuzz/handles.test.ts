import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spawnPrivate, type PrivateHandle, type ProcessStatus } from '../../esm/index.mjs';
import { onSettle } from '../../dist/cjs/handle.js';
import { tableCount } from '../../dist/cjs/testing.js';
import { modesHere, unlessBackend, type Mode } from '../helpers/backends.js';
import { checkNoLeaks, sh, untilAllReaped } from '../helpers/children.js';
import { fuzzRuns } from '../helpers/fuzz.js';
import { processState } from '../helpers/process.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** A child: one that exits at once with a code, one that lives a moment, one that runs until stopped. */
type Kind = { exit: number } | 'brief' | 'long';
const kind: fc.Arbitrary<Kind> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((exit) => ({ exit })),
  fc.constant('brief' as const),
  fc.constant('long' as const),
);

const signals = ['SIGTERM', 'SIGKILL', 'SIGUSR1', 0] as const;
type Op =
  | { op: 'wait' | 'waitSync' | 'waitNonblock' | 'close' | 'dispose' | 'asyncDispose' | 'ref' | 'unref' | 'drop' }
  | { op: 'kill'; signal: (typeof signals)[number] }
  | { op: 'gc' | 'tick' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .constantFrom('wait', 'waitSync', 'waitNonblock', 'close', 'dispose', 'asyncDispose', 'ref', 'unref', 'drop')
    .map((name) => ({ op: name }) as Op),
  fc.constantFrom(...signals).map((signal) => ({ op: 'kill', signal }) as Op),
  fc.constantFrom('gc', 'tick').map((name) => ({ op: name }) as Op),
);

/** What the test knows of one child while the operations run. */
interface Child {
  kind: Kind;
  handle: PrivateHandle | null;
  pid: number;
  /** seen holds every status object a wait returned. */
  seen: ProcessStatus[];
  /** fatal holds the signals sent that end it (SIGTERM, SIGKILL, SIGUSR1). */
  fatal: Set<string>;
  settles: number;
  isolation: string;
}

function start(mode: Mode, k: Kind): Child {
  const [file, args] = k === 'long' ? ['/bin/sleep', ['30']] : k === 'brief' ? sh('sleep 0.01') : sh(`exit ${k.exit}`);
  const handle = spawnPrivate(file as string, args as string[], {
    backend: mode.backend,
    isolation: mode.isolation,
    stdio: 'ignore',
  });
  const child: Child = {
    kind: k,
    handle,
    pid: handle.pid,
    seen: [],
    fatal: new Set(),
    settles: 0,
    isolation: mode.isolation,
  };
  onSettle(handle, () => child.settles++);
  return child;
}

/** Sends a signal, as a caller would: false means the child is gone, and nothing was signalled. */
function kill(c: Child, signal: (typeof signals)[number]): void {
  if (c.handle!.kill(signal)) {
    if (signal !== 0) c.fatal.add(signal);
    return;
  }
  // A direct child is a zombie until its handle reaps it, and a zombie takes signals: false comes
  // only once the status is known. A hidden child is reaped by its intermediate as soon as it
  // exits, so false can come a moment before the handle learns the status.
  if (c.isolation === 'direct') expect(c.handle!.status).not.toBeNull();
}

/** Waiting 30 s for a long child is the caller's choice, not a property: it is stopped first. */
function stopLong(c: Child): void {
  if (c.kind === 'long' && c.fatal.size === 0) kill(c, 'SIGKILL');
}

async function apply(c: Child, o: Op): Promise<void> {
  const h = c.handle;
  if (o.op === 'gc') return gc();
  if (o.op === 'tick') return void (await new Promise((r) => setImmediate(r)));
  if (h === null) return;
  switch (o.op) {
    case 'wait':
      stopLong(c);
      c.seen.push(await h.wait());
      return;
    case 'waitSync':
      stopLong(c);
      c.seen.push(h.waitSync());
      return;
    case 'waitNonblock': {
      const s = h.waitNonblock();
      if (s !== null) c.seen.push(s);
      return;
    }
    case 'kill':
      return kill(c, o.signal);
    case 'close':
      return h.close();
    case 'dispose':
      if (h.status === null) c.fatal.add('SIGTERM');
      return h[Symbol.dispose]();
    case 'asyncDispose':
      if (h.status === null) c.fatal.add('SIGTERM');
      return h[Symbol.asyncDispose]();
    case 'ref':
      return void h.ref();
    case 'unref':
      return void h.unref();
    case 'drop':
      // Nothing here holds the handle any more: the package alone must see the child reaped (a
      // long one is stopped first, through its handle, so that nothing signals its pid later).
      stopLong(c);
      c.handle = null;
      return;
  }
}

/** Every wait of a kept handle gave one status object, and that status is one the child could end with. */
async function check(c: Child): Promise<void> {
  const h = c.handle!;
  stopLong(c);
  const s = await h.wait();
  expect(h.waitSync()).toBe(s);
  expect(h.waitNonblock()).toBe(s);
  expect(h.status).toBe(s);
  for (const seen of c.seen) expect(seen).toBe(s);
  expect(h.kill(0)).toBe(false);
  expect(c.settles).toBe(1);
  expect(s.pid).toBe(c.pid);
  if (s.signal !== null) expect(c.fatal).toContain(s.signal);
  else if (typeof c.kind === 'object') expect(s.exitCode).toBe(c.kind.exit);
  else expect(s.exitCode).toBe(0);
}

describe.each(modesHere())('any interleaving of waits, kills, closes, disposal and GC ($name)', (mode) => {
  checkNoLeaks();

  it('settles every handle exactly once, with one status object, and leaves nothing behind', async () => {
    const scenario = fc.record({
      kinds: fc.array(kind, { minLength: 1, maxLength: 4 }),
      ops: fc.array(fc.tuple(fc.nat(3), op), { maxLength: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ kinds, ops }) => {
        const children = kinds.map((k) => start(mode, k));
        try {
          for (const [i, o] of ops) {
            await apply(children[i % children.length]!, o);
          }
          for (const c of children) if (c.handle !== null) await check(c);
        } finally {
          gc();
          await untilAllReaped();
        }
      }),
      { numRuns: fuzzRuns(2) },
    );
  });
});

// The fallback backend reaps every child one SIGCHLD stands for in one pass and delivers their exits
// one by one: code resumed by the first may ask a second for its status before it is delivered.
const noFallback = unlessBackend('fallback');
describe.skipIf(noFallback !== '')(`exits reaped together (fallback backend)${noFallback}`, () => {
  checkNoLeaks();

  it('waitSync() in code resumed by one exit still gets the status of another reaped with it', async () => {
    for (let i = 0; i < 20; i++) {
      const a = spawnPrivate(...sh('exit 1'), { backend: 'fallback', stdio: 'ignore' });
      const b = spawnPrivate(...sh('exit 2'), { backend: 'fallback', stdio: 'ignore' });
      // Both exit before the event loop runs again, so that one SIGCHLD pass reaps both.
      while (processState(a.pid) !== 'Z' || processState(b.pid) !== 'Z') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
      await a.wait();
      try {
        expect(b.waitSync().exitCode).toBe(2);
      } finally {
        await b.wait().catch(() => undefined);
      }
    }
  });
});
