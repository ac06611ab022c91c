// soak.mjs: a long run of private children under a foreign reaper, to see what accumulates.
//
//   npm run soak [-- --count=10000] [-- --parallel=32] [-- --backend=auto|linux|fallback]
//                [-- --isolation=hidden|direct] [-- --reaper=listener|thread|none]
//
// Spawns `count` children (`sh -c 'exit N'`, N = i mod 256), `parallel` at a time, while a foreign
// reaper takes every exited child it can with waitpid(-1): by default a SIGCHLD listener calling the
// C library's waitpid (as demo/demo.mjs does), or, with --reaper=thread, the test suite's thief
// thread looping a blocking waitpid(-1) (build it first with `npm test`). It prints one JSON object:
// how many statuses came back right, were reported lost (ERR_PRIVATE_STATUS_LOST: before Linux 6.15
// without the preload shim) or came back wrong, and, before and after the run, this process's open
// descriptors, zombie children, private children still in the table and resident memory.
// Not a test: the numbers are for people to read, and the exit status is 1 only when a status was
// wrong or something was left behind.

import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    parallel: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'auto' },
    isolation: { type: 'string' },
    reaper: { type: 'string', default: 'listener' },
  },
});
const count = Number(opts.count);
const parallel = Number(opts.parallel);
if (!(Number.isInteger(count) && count > 0 && Number.isInteger(parallel) && parallel > 0)) {
  console.error('--count and --parallel must be positive integers');
  process.exit(2);
}

const { spawnPrivate, capabilities } = await import('../esm/index.mjs');
const { native } = require('../dist/cjs/native.js');
const { tableCount } = require('../dist/cjs/testing.js');

/** The foreign reaper: start() begins taking children, stop() ends it and says how many it took. */
function reaper(kind) {
  if (kind === 'none') return { start() {}, stop: () => 0 };
  if (kind === 'thread') {
    const file = join(root, 'build', 'test-helpers', 'thief.node');
    if (!existsSync(file)) {
      console.error(`--reaper=thread needs ${file}: run npm test once to build it`);
      process.exit(2);
    }
    const thief = require(file);
    return {
      start: () => thief.startThreadThief(),
      stop: () => (thief.stopThreadThief(), thief.takeStolen().length),
    };
  }
  if (kind !== 'listener') {
    console.error('--reaper must be listener, thread or none');
    process.exit(2);
  }
  let taken = 0;
  const listener = () => {
    for (;;) {
      const r = native.rawWaitpid(-1, true);
      if (!Array.isArray(r)) break;
      taken++;
    }
  };
  return { start: () => process.on('SIGCHLD', listener), stop: () => (process.off('SIGCHLD', listener), taken) };
}

function snapshot() {
  let zombies = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === process.pid) zombies++;
    } catch {
      // Gone meanwhile.
    }
  }
  return {
    fds: readdirSync('/proc/self/fd').length,
    zombies,
    table: tableCount(),
    rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
  };
}

const spawnOptions = { backend: opts.backend, isolation: opts.isolation, stdio: 'ignore' };

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
};

// One child first, so that the loop's own descriptors (the SIGCHLD pipe, ...) exist before the count.
await spawnPrivate('/bin/true', [], spawnOptions).wait();
await settle();
const before = snapshot();
const foreign = reaper(opts.reaper);
const result = { right: 0, lost: 0, wrong: [] };
const started = Date.now();
foreign.start();
let next = 0;
let isolation = null;
async function lane() {
  while (next < count) {
    const i = next++;
    const h = spawnPrivate('/bin/sh', ['-c', `exit ${i % 256}`], spawnOptions);
    isolation ??= h.isolation ?? null;
    try {
      const s = await h.wait();
      if (s.exitCode === i % 256 && s.pid === h.pid) result.right++;
      else result.wrong.push(String(s));
    } catch (err) {
      if (err.code === 'ERR_PRIVATE_STATUS_LOST') result.lost++;
      else result.wrong.push(err.code);
    }
  }
}
await Promise.all(Array.from({ length: parallel }, lane));
const seconds = (Date.now() - started) / 1000;
const taken = foreign.stop();
await settle();
const after = snapshot();
const caps = capabilities();
console.log(
  JSON.stringify(
    {
      kernel: caps.kernel,
      backend: opts.backend === 'auto' ? caps.backend : opts.backend,
      isolation,
      pidfdInfoExit: caps.pidfdInfoExit,
      shimActive: caps.shimActive,
      reaper: opts.reaper,
      count,
      parallel,
      seconds,
      statuses: { right: result.right, lost: result.lost, wrong: result.wrong.length, takenByReaper: taken },
      before,
      after,
    },
    null,
    2,
  ),
);
const leftBehind = after.fds !== before.fds || after.zombies !== 0 || after.table !== 0;
process.exit(result.wrong.length > 0 || leftBehind ? 1 : 0);
