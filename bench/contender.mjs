// contender.mjs: one measurement of one way to spawn and wait for /bin/true, printed as JSON.
//
// bench/run.mjs starts this script once per (mode, ballast, contender), in a fresh Node process,
// so the ballast of one measurement never weighs on another.
//
//   node bench/contender.mjs --contender=private|child_process|execa
//        [--mode=sequential|inflight] [--inflight=32] [--ballast-gib=0]
//        [--seconds=2.5] [--warmup-seconds=0.3]
//
// The output is one line of JSON whose `rate` is spawns plus waits per second. A contender that
// cannot be loaded prints `{ "error": ... }` and exits with code 3.

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const FILE = '/bin/true';
const BALLAST_CHUNK = 128 * 1024 * 1024;

const { values: opts } = parseArgs({
  options: {
    contender: { type: 'string' },
    mode: { type: 'string', default: 'sequential' },
    inflight: { type: 'string', default: '32' },
    'ballast-gib': { type: 'string', default: '0' },
    seconds: { type: 'string', default: '2.5' },
    'warmup-seconds': { type: 'string', default: '0.3' },
  },
});

// Keeps the ballast reachable until the process exits.
const ballast = [];

/** makeBallast allocates `gib` GiB of Buffers filled with non-zero bytes, so every page is resident. */
function makeBallast(gib) {
  let left = gib * 1024 * 1024 * 1024;
  while (left > 0) {
    const size = Math.min(left, BALLAST_CHUNK);
    ballast.push(Buffer.alloc(size, 0x5a));
    left -= size;
  }
}

/** childProcessOnce spawns with child_process.spawn and resolves on 'exit' with whether it succeeded. */
function childProcessOnce() {
  return new Promise((resolve, reject) => {
    const child = spawn(FILE, [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** loadContender returns a function that spawns FILE once and resolves with whether it succeeded. */
async function loadContender(name) {
  switch (name) {
    case 'child_process':
      return { once: childProcessOnce, info: {} };
    case 'execa': {
      const { execa } = await import('execa');
      const once = () => execa(FILE, [], { stdio: 'ignore' }).then((r) => r.exitCode === 0);
      return { once, info: {} };
    }
    case 'private': {
      const { spawnPrivate, capabilities } = await import('../esm/index.mjs');
      const once = () =>
        spawnPrivate(FILE, [], { stdio: 'ignore' })
          .wait()
          .then((status) => status.success);
      return { once, info: { backend: capabilities().backend } };
    }
    default:
      throw new Error(`unknown contender ${JSON.stringify(name)}`);
  }
}

/**
 * measure keeps `lanes` spawns in flight for `seconds`, each lane starting its next child as soon
 * as the previous one has been waited for, then lets the last ones finish. The elapsed time
 * includes that drain, so the rate counts only children both spawned and waited for.
 */
async function measure(once, lanes, seconds) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  let failures = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      if (!(await once())) failures++;
      count++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const elapsed = (performance.now() - start) / 1000;
  return { count, failures, seconds: elapsed, rate: count / elapsed };
}

async function main() {
  const lanes = opts.mode === 'inflight' ? Number(opts.inflight) : 1;
  if (opts.mode !== 'sequential' && opts.mode !== 'inflight') {
    throw new Error(`--mode must be sequential or inflight, got ${JSON.stringify(opts.mode)}`);
  }
  let contender;
  try {
    contender = await loadContender(opts.contender);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: `${err.code ?? err.name}: ${err.message}` })}\n`);
    process.exitCode = 3;
    return;
  }
  const gib = Number(opts['ballast-gib']);
  makeBallast(gib);
  await measure(contender.once, lanes, Number(opts['warmup-seconds']));
  const result = await measure(contender.once, lanes, Number(opts.seconds));
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  const out = {
    contender: opts.contender,
    mode: opts.mode,
    inflight: lanes,
    ballastGiB: gib,
    ballastChunks: ballast.length,
    rssMiB,
    ...result,
    ...contender.info,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
