// split.mjs: where the wall time of one spawn and wait goes, seen from Node's main thread.
//
//   node bench/split.mjs [--isolation=hidden|direct] [--count=4000] [--warmup=500] [--lanes=1]
//
// It runs `spawnPrivate('/bin/true', [], { stdio: 'ignore' })` + `wait()`, one at a time, and
// times four stretches of each round trip with performance.now(), taken by wrapping the addon's
// spawn call and the exit callback passed to it (the package's own internals, so this is a tool
// for this repository, not an example of the API):
//
//   before   from the previous wait settling to the addon's spawn being called: the JavaScript
//            of spawnPrivate (options, checks) and the loop's own turn
//   spawn    the addon's spawn call: the clone, the wait for the child's exec, the watch set up
//   life     from that call returning to the exit callback: the rest of the child's exec, its
//            run and exit, a hidden child's intermediate reaping it, the event loop waking, the
//            reap, and the JavaScript between the call's return and the event loop's sleep
//   settle   from the exit callback to `await wait()` resuming: the status, the handle's events,
//            the promise
//
// It prints one line of JSON with the median and the 90th percentile of each, in microseconds,
// and their sum per round trip. With --lanes=N (N > 1), N lanes each keep one child in flight,
// as the bench's inflight row does with 32; the stretches of different lanes overlap then, so it
// prints the rate, the spawn call's median and 90th percentile, the share of the wall time this
// thread spent inside spawn calls (blocked, mostly, until each child has exec'd), and this
// process's CPU time per spawn. See "Where a spawn's wall time goes" in bench/README.md.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { native } = require('../dist/cjs/native.js');
const { spawnPrivate } = require('../dist/cjs/index.js');

const { values: opts } = parseArgs({
  options: {
    isolation: { type: 'string', default: 'hidden' },
    count: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '500' },
    lanes: { type: 'string', default: '1' },
  },
});
const count = Number(opts.count);
const warmup = Number(opts.warmup);
const lanes = Number(opts.lanes);
if (!['hidden', 'direct'].includes(opts.isolation) || !(count > 0) || !(warmup >= 0) || !(lanes >= 1)) {
  console.error('usage: node bench/split.mjs [--isolation=hidden|direct] [--count=N] [--warmup=N] [--lanes=N]');
  process.exit(2);
}

let called = 0;
let returned = 0;
let exited = 0;
const spawn = native.spawn;
native.spawn = function timedSpawn(...args) {
  const at = args.findIndex((a) => typeof a === 'function');
  if (at >= 0) {
    const onExit = args[at];
    args[at] = function timedExit(...rest) {
      exited = performance.now();
      return onExit.apply(this, rest);
    };
  }
  called = performance.now();
  const handle = spawn.apply(this, args);
  returned = performance.now();
  return handle;
};

const pick = (sorted, q) => Math.round(1000 * sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const once = () => spawnPrivate('/bin/true', [], { stdio: 'ignore', isolation: opts.isolation }).wait();

/** inFlight keeps `lanes` children in flight until `total` have been waited for; returns the spawn call times. */
async function inFlight(total) {
  const calls = [];
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await once();
      calls.push(returned - called);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return calls;
}

if (lanes > 1) {
  await inFlight(warmup);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const calls = await inFlight(count);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const inside = calls.reduce((a, b) => a + b, 0);
  calls.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      isolation: opts.isolation,
      lanes,
      count,
      rate: Math.round((count / wall) * 1000),
      spawn: { p50us: pick(calls, 0.5), p90us: pick(calls, 0.9) },
      insideSpawnCalls: Math.round((100 * inside) / wall) / 100,
      cpuUsPerSpawn: Math.round((used.user + used.system) / count),
    }),
  );
} else {
  const stretches = { before: [], spawn: [], life: [], settle: [], total: [] };
  let settled = performance.now();
  for (let i = 0; i < warmup + count; i++) {
    await once();
    const now = performance.now();
    if (i >= warmup) {
      stretches.before.push(called - settled);
      stretches.spawn.push(returned - called);
      stretches.life.push(exited - returned);
      stretches.settle.push(now - exited);
      stretches.total.push(now - settled);
    }
    settled = now;
  }
  const result = { isolation: opts.isolation, count };
  for (const [name, samples] of Object.entries(stretches)) {
    samples.sort((a, b) => a - b);
    result[name] = { p50us: pick(samples, 0.5), p90us: pick(samples, 0.9) };
  }
  console.log(JSON.stringify(result));
}
