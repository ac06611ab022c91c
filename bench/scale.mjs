// scale.mjs: what a live child costs, measured with many children alive at once, printed as JSON.
//
//   node bench/scale.mjs --contender=private|private-direct|child_process --alive=1000
//
// Starts `alive` children of `sleep 600` (stdio 'ignore') one after the other, then reads, with
// every one of them alive, the lines of /proc/self/maps (the mappings of the address space), the
// entries of /proc/self/fd, VmRSS and this process's tasks (its threads, and the processes whose
// parent it is, the children themselves apart: a hidden child's intermediate is one); then kills
// every child with SIGKILL and waits for each. The output is one line of JSON: per child, the spawn
// time and the kill+wait time (µs), and the mappings, descriptors, KiB of RSS and tasks each live
// child added; and the RSS and tasks all of them added together. bench/run.mjs --only=scale starts
// this script once per (contender, alive) in a fresh process; it is also the probe behind
// docs/scale.md. Before it spawns, the script raises its soft descriptor limit to the hard one
// (Node does so at start-up already) and fails with `{ "error": ... }` when `alive` cannot fit.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    contender: { type: 'string', default: 'private' },
    alive: { type: 'string', default: '1000' },
  },
});
const alive = Number(opts.alive);

/** mappings is the number of mappings of this process's address space. */
const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
/** descriptors is the number of descriptors this process holds. */
const descriptors = () => readdirSync('/proc/self/fd').length;
/** rssKiB is this process's resident set, in KiB. */
const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
/**
 * tasks counts this process's threads and the processes whose parent it is, but for the pids in
 * `children` (the children themselves): what this process keeps alive on their behalf. A hidden
 * child's intermediate is such a process, a clone of this one that is not one of its threads.
 */
function tasks(children) {
  const threads = Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  let own = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || children.has(Number(name))) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // After the command's closing parenthesis: the state, then the parent's pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid) own++;
  }
  return threads + own;
}
/** nofile is the soft and hard limit on descriptors, from /proc (Node has no getrlimit). */
function nofile() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line
    .slice('Max open files'.length)
    .trim()
    .split(/\s+/)
    .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft, hard };
}

/** contenders: start(file, args) returns { pid, kill(), exited: Promise } for one live child. */
async function contender(name) {
  if (name === 'child_process') {
    return (file, args) => {
      const c = spawn(file, args, { stdio: 'ignore' });
      const exited = new Promise((resolve, reject) => {
        c.once('error', reject);
        c.once('exit', resolve);
      });
      return { pid: c.pid, kill: () => c.kill('SIGKILL'), exited };
    };
  }
  const { spawnPrivate, capabilities } = await import('../esm/index.mjs');
  const isolation = name === 'private-direct' ? 'direct' : undefined;
  contender.backend = capabilities().backend;
  return (file, args) => {
    const h = spawnPrivate(file, args, { stdio: 'ignore', isolation });
    return { pid: h.pid, kill: () => h.kill('SIGKILL'), exited: h.wait() };
  };
}

async function main() {
  const start = await contender(opts.contender);
  const limit = nofile();
  // Node raises the soft limit to the hard one at start-up; a private child holds a descriptor.
  if (limit.soft < alive + 256) {
    console.log(
      JSON.stringify({ error: `alive ${alive} needs ${alive + 256} descriptors: ulimit -n is ${limit.soft}` }),
    );
    process.exitCode = 3;
    return;
  }
  // One spawn and wait first, so that lazily made state (the backend's probe, a first slab, the
  // orphan thread, libuv's signal pipe) is not counted as a child's.
  const warm = start('sleep', ['600']);
  warm.kill();
  await warm.exited;
  const before = { maps: mappings(), fds: descriptors(), rss: rssKiB(), tasks: tasks(new Set()) };
  const children = [];
  const t0 = performance.now();
  for (let i = 0; i < alive; i++) children.push(start('sleep', ['600']));
  const t1 = performance.now();
  const during = { maps: mappings(), fds: descriptors(), rss: rssKiB() };
  during.tasks = tasks(new Set(children.map((c) => c.pid)));
  const t2 = performance.now();
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  const t3 = performance.now();
  const per = (a, b) => Math.round(((b - a) / alive) * 100) / 100;
  console.log(
    JSON.stringify({
      contender: opts.contender,
      backend: contender.backend ?? null,
      alive,
      spawnUs: per(t0 * 1000, t1 * 1000),
      killWaitUs: per(t2 * 1000, t3 * 1000),
      mapsPerChild: per(before.maps, during.maps),
      fdsPerChild: per(before.fds, during.fds),
      rssKiBPerChild: per(before.rss, during.rss),
      tasksPerChild: per(before.tasks, during.tasks),
      rssKiBAdded: during.rss - before.rss,
      tasksAdded: during.tasks - before.tasks,
      mapsBefore: before.maps,
      mapsDuring: during.maps,
    }),
  );
}

await main();
