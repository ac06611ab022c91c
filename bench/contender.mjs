// contender.mjs: one measurement of one way to spawn and wait for /bin/true, or to run
// `/bin/echo hello` and get its output as a string, printed as JSON.
//
// bench/run.mjs starts this script once per (mode, ballast, contender), in a fresh Node process,
// so the ballast of one measurement never weighs on another.
//
//   node bench/contender.mjs --contender=private|private-direct|child_process|execa
//        [--mode=sequential|inflight|latency|captured] [--inflight=32] [--ballast-gib=0]
//        [--seconds=2.5] [--warmup-seconds=0.3] [--stamp=build/bench/stamp] [--count=1000]
//
// The output is one line of JSON whose `rate` is spawns plus waits per second, or, in latency
// mode, the p50 and p99 of the time from a child's exit to its wait settling, in microseconds.
// 'private' is spawnPrivate as users get it (hidden isolation on Linux), 'private-direct' the
// same with isolation 'direct'. In captured mode, one at a time, each runs `/bin/echo hello` and
// gets its stdout as a string, by its own way of doing so: runPrivate (its defaults),
// child_process.execFile, execa (its defaults); the rate is runs per second. A contender that cannot be loaded prints `{ "error": ... }` and
// exits with code 3.

import { execFile, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const FILE = '/bin/true';
const ECHO = ['/bin/echo', ['hello']];
const BALLAST_CHUNK = 128 * 1024 * 1024;

const { values: opts } = parseArgs({
  options: {
    contender: { type: 'string' },
    mode: { type: 'string', default: 'sequential' },
    inflight: { type: 'string', default: '32' },
    'ballast-gib': { type: 'string', default: '0' },
    seconds: { type: 'string', default: '2.5' },
    'warmup-seconds': { type: 'string', default: '0.3' },
    stamp: { type: 'string' },
    count: { type: 'string', default: '1000' },
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

/**
 * captureOnce returns `once()` of the captured mode for a contender: it runs ECHO and resolves
 * with whether it printed `hello`.
 */
async function captureOnce(name) {
  const [file, args] = ECHO;
  switch (name) {
    case 'child_process':
      return () =>
        new Promise((resolve) => execFile(file, args, (err, stdout) => resolve(!err && stdout === 'hello\n')));
    case 'execa': {
      const { execa } = await import('execa');
      return () => execa(file, args).then((r) => r.stdout === 'hello');
    }
    case 'private':
    case 'private-direct': {
      const { runPrivate } = await import('../esm/index.mjs');
      const options = name === 'private-direct' ? { isolation: 'direct' } : {};
      return () => runPrivate(file, args, options).then((r) => r.stdout === 'hello');
    }
    default:
      throw new Error(`unknown contender ${JSON.stringify(name)}`);
  }
}

/**
 * childProcessOnce spawns with child_process.spawn and resolves on 'exit' with whether it
 * succeeded; onStdout, when given, gets the child's stdout.
 */
function childProcessOnce(file = FILE, onStdout = null) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { stdio: onStdout ? ['ignore', 'pipe', 'ignore'] : 'ignore' });
    if (onStdout) onStdout(child.stdout);
    child.once('error', reject);
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * loadContender returns `once(file, onStdout)`, which spawns `file` (FILE by default) once and
 * resolves with whether it succeeded, handing its stdout stream to onStdout when given.
 */
async function loadContender(name) {
  switch (name) {
    case 'child_process':
      return { once: childProcessOnce, info: {} };
    case 'execa': {
      const { execa } = await import('execa');
      const once = (file = FILE, onStdout = null) => {
        const sub = execa(file, [], { stdio: onStdout ? ['ignore', 'pipe', 'ignore'] : 'ignore', buffer: false });
        if (onStdout) onStdout(sub.stdout);
        return sub.then((r) => r.exitCode === 0);
      };
      return { once, info: {} };
    }
    case 'private':
    case 'private-direct': {
      const { spawnPrivate, capabilities } = await import('../esm/index.mjs');
      const isolation = name === 'private-direct' ? 'direct' : undefined;
      let seen = null;
      const once = (file = FILE, onStdout = null) => {
        const h = spawnPrivate(file, [], { stdio: onStdout ? ['ignore', 'pipe', 'ignore'] : 'ignore', isolation });
        seen ??= { backend: h.backend, isolation: h.isolation };
        if (onStdout) onStdout(h.stdout);
        return h.wait().then((status) => status.success);
      };
      return { once, info: () => ({ ...seen, available: capabilities().backend }) };
    }
    default:
      throw new Error(`unknown contender ${JSON.stringify(name)}`);
  }
}

/**
 * latency runs the stamp program `count` times, one at a time, and measures, for each, the time
 * from its exit (the CLOCK_MONOTONIC it printed just before) to its wait settling.
 */
async function latency(once, stamp, count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    let out = '';
    let closed;
    const ok = await once(stamp, (stream) => {
      stream.setEncoding('utf8').on('data', (d) => (out += d));
      closed = new Promise((r) => stream.once('close', r));
    });
    const settled = process.hrtime.bigint();
    await closed;
    if (ok) samples.push(Number(settled - BigInt(out.trim())) / 1000);
  }
  samples.sort((a, b) => a - b);
  const pick = (q) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]);
  return { count: samples.length, p50us: pick(0.5), p99us: pick(0.99) };
}

/**
 * measure keeps `lanes` spawns in flight for `seconds`, each lane starting its next child as soon
 * as the previous one has been waited for, then lets the last ones finish. The elapsed time
 * includes that drain, so the rate counts only children both spawned and waited for.
 */
async function measure(once, lanes, seconds) {
  const start = performance.now();
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  // The CPU time this process (not its children) spent per spawn, user and system, in µs.
  const cpuUs = Math.round((used.user + used.system) / count);
  return { count, failures, seconds: elapsed, rate: count / elapsed, cpuUs };
}

async function main() {
  const lanes = opts.mode === 'inflight' ? Number(opts.inflight) : 1;
  if (!['sequential', 'inflight', 'latency', 'captured'].includes(opts.mode)) {
    throw new Error(`--mode must be sequential, inflight, latency or captured, got ${JSON.stringify(opts.mode)}`);
  }
  let contender;
  try {
    contender = await loadContender(opts.contender);
    if (opts.mode === 'captured') contender.once = await captureOnce(opts.contender);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: `${err.code ?? err.name}: ${err.message}` })}\n`);
    process.exitCode = 3;
    return;
  }
  const gib = Number(opts['ballast-gib']);
  makeBallast(gib);
  let result;
  if (opts.mode === 'latency') {
    await latency(contender.once, opts.stamp, 50);
    result = await latency(contender.once, opts.stamp, Number(opts.count));
  } else {
    await measure(contender.once, lanes, Number(opts['warmup-seconds']));
    result = await measure(contender.once, lanes, Number(opts.seconds));
  }
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  const out = {
    contender: opts.contender,
    mode: opts.mode,
    inflight: lanes,
    ballastGiB: gib,
    ballastChunks: ballast.length,
    rssMiB,
    ...result,
    ...(typeof contender.info === 'function' ? contender.info() : contender.info),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
