import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runPrivate, runPrivateSync, spawnPrivate, type PrivateHandle } from '../../esm/index.mjs';
import { checkNoLeaks } from '../helpers/children.js';
import { readAll } from '../helpers/stream.js';

// Who and where the child is, one line each: uid, gid, groups, cwd, umask, an environment variable,
// its argv[0], and whether it leads a session of its own.
const probe = [
  'id -u; id -g; id -G; pwd; umask; echo "${PP_PROBE-unset}"',
  "tr '\\0' '\\n' < /proc/$$/cmdline | head -n 1",
  `[ "$(cut -d' ' -f6 /proc/$$/stat)" = "$$" ] && echo own-session || echo our-session`,
].join('; ');

/**
 * Runs `start` while `target[key]` is `value`, as a polluted prototype would have it, and removes
 * the property again whatever happens. Only the call runs polluted: the test reads its results after.
 */
function polluted<T>(target: object, key: string, value: unknown, start: () => T): T {
  const t = target as Record<string, unknown>;
  t[key] = value;
  try {
    return start();
  } finally {
    delete t[key];
  }
}

/** What a call did: its error's code, or what the child printed and how it ended. */
type Outcome = { error: unknown } | Record<string, unknown>;

function tryStart<T>(start: () => T): { value: T } | { error: unknown } {
  try {
    return { value: start() };
  } catch (error) {
    return { error: (error as { code?: unknown }).code ?? String(error) };
  }
}

async function handleOutcome(started: { value: PrivateHandle } | { error: unknown }): Promise<Outcome> {
  if ('error' in started) return started;
  const h = started.value;
  h.stdin?.end();
  const read = (s: typeof h.stdout): Promise<string | null> => (s === null ? Promise.resolve(null) : readAll(s));
  const [out, err, status] = await Promise.all([read(h.stdout), read(h.stderr), h.wait()]);
  return { out, err, exitCode: status.exitCode, signal: status.signal };
}

async function runOutcome(started: { value: unknown } | { error: unknown }): Promise<Outcome> {
  if ('error' in started) return started;
  let r: Record<string, unknown>;
  try {
    r = (await started.value) as never;
  } catch (error) {
    r = { rejected: (error as { code?: unknown }).code, ...(error as object) };
  }
  const { stdout, stderr, all, exitCode, signal, rejected } = r;
  return { stdout, stderr, all, exitCode, signal, rejected };
}

// Every option of spawnPrivate, polluted with a value that changes what the child is or refuses
// the call: the values an attacker who can write Object.prototype would choose.
const spawnPollution: Array<[string, unknown]> = [
  ['uid', 65534],
  ['gid', 65534],
  ['groups', [65534]],
  ['umask', 0o077],
  ['cwd', '/'],
  ['env', { PP_PROBE: 'polluted', PATH: '/usr/bin:/bin' }],
  ['argv0', 'polluted-argv0'],
  ['stdio', 'ignore'],
  ['detached', true],
  ['timeout', -1],
  ['killSignal', 'SIGNOPE'],
  ['killGraceMs', -1],
  ['backend', 'bogus'],
  ['isolation', 'bogus'],
  ['preferLocal', 'yes'],
  ['dieWithParent', 'SIGNOPE'],
  ['shell', true],
  ['PATH', '/nonexistent'],
];

// And those runPrivate and runPrivateSync add.
const runPollution: Array<[string, unknown]> = [
  ...spawnPollution,
  ['input', 'polluted input\n'],
  ['reject', false],
  ['maxBuffer', 1],
  ['stripFinalNewline', false],
  ['lines', true],
  ['all', true],
];

// Node's own stream constructors read `signal` and `encoding` through Object.prototype (for the
// pipes of child_process too), so these two are tried on children without pipes.
const streamPollution: Array<[string, unknown]> = [
  ['signal', AbortSignal.abort()],
  ['encoding', 'buffer'],
];

/**
 * Calls each `start` clean, then with `target[key]` polluted, and expects the same outcome. A start
 * calls the package synchronously, so that only the call runs polluted, and then awaits the outcome.
 */
async function expectUnchanged(
  target: object,
  key: string,
  value: unknown,
  starts: Array<[string, () => Promise<Outcome>]>,
): Promise<void> {
  for (const [call, start] of starts) {
    const clean = await start();
    const dirty = await polluted(target, key, value, start);
    expect(dirty, call).toEqual(clean);
  }
}

const spawned = (start: () => PrivateHandle) => () => handleOutcome(tryStart(start));
const ran = (start: () => unknown) => () => runOutcome(tryStart(start));

describe('options are read from the caller’s own properties, never through a polluted prototype', () => {
  checkNoLeaks();

  const spawns: Array<[string, () => Promise<Outcome>]> = [
    ['no options', spawned(() => spawnPrivate('sh', ['-c', probe]))],
    ['{}', spawned(() => spawnPrivate('sh', ['-c', probe], {}))],
    ['an env without PATH', spawned(() => spawnPrivate('sh', ['-c', probe], { env: { PP_PROBE: 'given' } }))],
    ['a stdio hole', spawned(() => spawnPrivate('sh', ['-c', probe], { stdio: ['pipe', , 'pipe'] }))],
  ];

  it.each(spawnPollution)('spawnPrivate: Object.prototype.%s changes nothing', (key, value) =>
    expectUnchanged(Object.prototype, key, value, spawns),
  );

  const script = `${probe}; cat; echo to-stderr >&2; exit 3`;
  const runs: Array<[string, () => Promise<Outcome>]> = [
    ['runPrivate', ran(() => runPrivate('sh', ['-c', script]))],
    ['runPrivateSync', ran(() => runPrivateSync('sh', ['-c', script]))],
    ['a stdio hole', ran(() => runPrivate('sh', ['-c', script], { stdio: ['ignore', , 'pipe'] }))],
  ];

  it.each(runPollution)('runPrivate, runPrivateSync: Object.prototype.%s changes nothing', (key, value) =>
    expectUnchanged(Object.prototype, key, value, runs),
  );

  it('spawnPrivate, runPrivate: Array.prototype fills no hole of a stdio array', () =>
    expectUnchanged(Array.prototype, '1', 'ignore', [spawns[3]!, runs[2]!]));

  const withoutPipes: Array<[string, () => Promise<Outcome>]> = [
    ['spawnPrivate', spawned(() => spawnPrivate('sh', ['-c', 'exit 3'], { stdio: 'ignore' }))],
    ['runPrivate', ran(() => runPrivate('sh', ['-c', 'exit 3'], { stdio: 'ignore' }))],
    ['runPrivateSync', ran(() => runPrivateSync('sh', ['-c', 'exit 3'], { stdio: 'ignore' }))],
  ];

  it.each(streamPollution)(
    'spawnPrivate, runPrivate, runPrivateSync: Object.prototype.%s changes nothing',
    (key, value) => expectUnchanged(Object.prototype, key, value, withoutPipes),
  );
});

it('capabilities(): a polluted Object.prototype.PRIVATE_PROCESS_BACKEND leaves every backend probed', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'capabilities.cjs');
  const env = { ...process.env };
  delete env.PRIVATE_PROCESS_BACKEND;
  const report = async (how: string) =>
    JSON.parse((await promisify(execFile)(process.execPath, [fixture, how], { env })).stdout);
  expect(await report('polluted')).toEqual(await report('clean'));
});
