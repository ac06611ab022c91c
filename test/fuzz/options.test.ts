import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runPrivate, spawnPrivate, type PrivateHandle } from '../../esm/index.mjs';
import { tableCount } from '../../dist/cjs/testing.js';
import { checkNoLeaks } from '../helpers/children.js';
import { fuzzRuns } from '../helpers/fuzz.js';

/** Anything at all, exotic objects included: boxed values, null prototypes, typed arrays, ... */
const anything = fc.anything({
  maxDepth: 2,
  withBoxedValues: true,
  withNullPrototype: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withDate: true,
  withBigInt: true,
  withSparseArray: true,
});

const signalName = fc.constantFrom(
  'SIGTERM',
  'SIGKILL',
  'SIGINT',
  'SIGUSR1',
  'SIGHUP',
  'SIGSTOP',
  'SIGNOPE',
  'sigterm',
);
const slot = fc.oneof(fc.constantFrom('pipe', 'inherit', 'ignore', null, undefined), fc.integer({ min: -2, max: 40 }));

const capabilityName = fc.constantFrom(
  'CAP_PERFMON',
  'CAP_NET_RAW',
  'CAP_SETPCAP',
  'CAP_BPF',
  'cap_bpf',
  'CAP_NOPE',
  '',
);
const rlimitName = fc.constantFrom('nofile', 'nproc', 'core', 'as', 'cpu', 'stack', 'files', '__proto__');
const limit = fc.oneof(fc.integer({ min: -1, max: 2 ** 20 }), fc.constantFrom(Infinity, 2 ** 53, 0.5, NaN));
const rlimitValue = fc.oneof(limit, fc.record({ soft: limit, hard: limit }), fc.record({ soft: limit }));

/** nearly is mostly a value that is nearly right, sometimes anything at all. */
function nearly<T>(...right: fc.Arbitrary<T>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: fc.oneof(...right) }, { weight: 1, arbitrary: anything });
}

/** Each option, nearly right. */
const optionValues = {
  cwd: nearly(fc.constantFrom('/', '/tmp', '/nonexistent', '', new URL('file:///'), new URL('http://x/'))),
  env: nearly(fc.dictionary(fc.string(), fc.oneof(fc.string(), anything), { maxKeys: 4 })),
  argv0: nearly(fc.string()),
  stdio: nearly(slot, fc.array(slot, { maxLength: 8 })),
  detached: nearly(fc.boolean()),
  signal: nearly(
    fc.constant(null).map(() => AbortSignal.abort()),
    fc.constant(null).map(() => new AbortController().signal),
  ),
  timeout: nearly(fc.integer({ min: -1, max: 20 }), fc.double()),
  killSignal: nearly(signalName, fc.integer({ min: -2, max: 70 })),
  killGraceMs: nearly(fc.integer({ min: -1, max: 20 })),
  backend: nearly(fc.constantFrom('auto', 'linux', 'fallback', 'freebsd', 'LINUX')),
  isolation: nearly(fc.constantFrom('hidden', 'direct', 'HIDDEN', undefined)),
  uid: nearly(fc.integer({ min: -2, max: 70_000 }), fc.constantFrom(2 ** 32, 2 ** 31, 0.5, NaN)),
  gid: nearly(fc.integer({ min: -2, max: 70_000 }), fc.constantFrom(2 ** 32, -0)),
  groups: nearly(fc.array(fc.integer({ min: -1, max: 70_000 }), { maxLength: 20 })),
  umask: nearly(fc.integer({ min: -1, max: 0o1000 }), fc.constantFrom('022', '0777', '8', '')),
  dieWithParent: nearly(fc.boolean(), signalName, fc.integer({ min: -1, max: 70 })),
  ambientCapabilities: nearly(fc.array(capabilityName, { maxLength: 3 })),
  capabilityBoundingSet: nearly(fc.array(capabilityName, { maxLength: 4 })),
  noNewPrivileges: nearly(fc.boolean()),
  rlimits: nearly(fc.dictionary(rlimitName, rlimitValue, { maxKeys: 3 })),
  nice: nearly(fc.integer({ min: -21, max: 20 })),
  cpuAffinity: nearly(fc.array(fc.integer({ min: -1, max: 1024 }), { maxLength: 3 })),
  cgroup: nearly(fc.constantFrom('/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/nonexistent', 'relative', '', '/')),
};

const runOptionValues = {
  encoding: nearly(fc.constantFrom('utf8', 'latin1', 'hex', 'buffer', null, 'nope')),
  input: nearly(fc.string(), fc.uint8Array({ maxLength: 64 })),
  maxBuffer: nearly(fc.integer({ min: -1, max: 64 }), fc.constant(Infinity)),
  reject: nearly(fc.boolean()),
};

/** A few of the options, each nearly right. */
function someOf(values: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .subarray(Object.keys(values), { maxLength: 4 })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, values[k]!]))));
}

/** An options argument: some options, sometimes with strangers, sometimes not an object at all. */
function optionsOf(values: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: someOf(values) },
    {
      weight: 1,
      arbitrary: fc.tuple(someOf(values), fc.dictionary(fc.string(), anything)).map(([o, more]) => ({ ...more, ...o })),
    },
    { weight: 1, arbitrary: anything },
  );
}

const args = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.string(), { maxLength: 3 }) },
  { weight: 1, arbitrary: anything },
);

/**
 * A clean refusal: an Error with a string code. Argument errors and the package's own have an
 * ERR_ code; runPrivate's cancellations are ABORT_ERR and ETIMEDOUT; anything else is a spawn error
 * with errno and step.
 */
function expectClean(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  const e = err as NodeJS.ErrnoException & { step?: string };
  expect(typeof e.code).toBe('string');
  if (e.code!.startsWith('ERR_') || e.code === 'ABORT_ERR' || e.code === 'ETIMEDOUT') return;
  expect(e.errno).toBeLessThan(0);
  expect(typeof e.step).toBe('string');
}

/** Lets a spawned child end: it is /bin/true, which exits by itself, unless stopped. */
async function settle(h: PrivateHandle): Promise<void> {
  for (const s of h.stdio) s?.destroy();
  try {
    h.kill('SIGKILL');
  } catch {
    // Already reaped: nothing to stop.
  }
  await h.wait().catch(() => undefined);
}

describe('arbitrary options never crash the process', () => {
  checkNoLeaks();

  it('spawnPrivate: a clean error, or a child that is then reaped', async () => {
    let spawned = 0;
    await fc.assert(
      fc.asyncProperty(args, optionsOf(optionValues), async (a, options) => {
        let h: PrivateHandle;
        try {
          h = spawnPrivate('/bin/true', a as string[], options as never);
        } catch (err) {
          expectClean(err);
          expect(tableCount()).toBe(0);
          return;
        }
        spawned++;
        await settle(h);
        expect(tableCount()).toBe(0);
      }),
      { numRuns: fuzzRuns() },
    );
    // The property reached the kernel, not only the argument checks.
    console.log('spawned', spawned);
    expect(spawned).toBeGreaterThan(fuzzRuns() / 20);
  });

  it('runPrivate: a clean error thrown or rejected, or a result', async () => {
    let finished = 0;
    await fc.assert(
      fc.asyncProperty(args, optionsOf({ ...optionValues, ...runOptionValues }), async (a, options) => {
        let run: Promise<unknown>;
        try {
          run = runPrivate('/bin/true', a as string[], options as never);
        } catch (err) {
          expectClean(err);
          return;
        }
        try {
          await run;
          finished++;
        } catch (err) {
          expectClean(err);
        }
        expect(tableCount()).toBe(0);
      }),
      { numRuns: fuzzRuns(2) },
    );
    expect(finished).toBeGreaterThan(fuzzRuns(2) / 20);
  });

  it('an env value that cannot be made a string is refused with ERR_INVALID_ARG_VALUE', () => {
    const env = { PATH: '/bin', BAD: Object.create(null) as object };
    expect(() => spawnPrivate('/bin/true', [], { env: env as never, stdio: 'ignore' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
