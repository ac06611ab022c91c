#!/usr/bin/env node
// perf-helper.mjs: a root tool that starts a sampler as `nobody` with CAP_PERFMON and nothing
// else, in a cgroup of its own (with a memory cap where the cgroup v2 hierarchy has a memory
// controller), and kills it when the tool ends. Run it as root:
//
//   sudo node examples/perf-helper.mjs                   # perf stat -a -e cpu-clock -- sleep 1
//   sudo node examples/perf-helper.mjs sh -c 'grep ^Cap /proc/self/status; cat /proc/self/cgroup'
//
// See docs/privileged-helpers.md.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnPrivate } from 'private-process';

const NOBODY = 65534;
const [file = 'perf', ...args] =
  process.argv.length > 2 ? process.argv.slice(2) : ['perf', 'stat', '-a', '-e', 'cpu-clock', '--', 'sleep', '1'];

/** The cgroup v2 mount point: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system, or null. */
function cgroup2Root() {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '));
  return mounts.find((fields) => fields[2] === 'cgroup2')?.[1] ?? null;
}

/** A cgroup for the sampler, capped at 256 MiB where the hierarchy has a memory controller. */
function samplerCgroup() {
  const root = cgroup2Root();
  if (root === null) return null;
  const dir = path.join(root, `perf-helper-${process.pid}`);
  mkdirSync(dir);
  const controllers = readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
  if (controllers.includes('memory')) {
    writeFileSync(path.join(root, 'cgroup.subtree_control'), '+memory');
    writeFileSync(path.join(dir, 'memory.max'), String(256 * 2 ** 20));
  } else {
    console.error(`perf-helper: no memory controller in ${root}: the sampler runs uncapped`);
  }
  return dir;
}

const cgroup = samplerCgroup();
const sampler = spawnPrivate(file, args, {
  uid: NOBODY,
  gid: NOBODY,
  ambientCapabilities: ['CAP_PERFMON'], // perf_event_open system-wide, nothing else
  capabilityBoundingSet: ['CAP_PERFMON'], // never any other, whatever it runs
  noNewPrivileges: true, // a setuid program it runs gains nothing
  rlimits: { nofile: 4096, core: 0 },
  nice: 10,
  ...(cgroup === null ? {} : { cgroup }),
  dieWithParent: true, // killed with the tool, however the tool ends
  stdio: 'inherit',
});
// Ended by a signal, the tool takes its sampler along.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => sampler.kill('SIGKILL'));

const status = await sampler.wait();
if (cgroup !== null) rmdirSync(cgroup);
console.error(`perf-helper: sampler ${status}`);
process.exitCode = status.success ? 0 : 1;
