// run.mjs: spawn + wait throughput of spawnPrivate (hidden, its default on Linux, and direct)
// against child_process.spawn, execa and a C baseline, with and without 2 GiB of touched heap in
// the spawning process; then runPrivate with captured output against execFile, execa and a C
// baseline (bench/captured.c); then the latency from a child's exit to its wait settling (p50,
// p99); then what a live child costs with 100, 1,000 and 10,000 alive at once (bench/scale.mjs).
//
//   npm run bench [-- --quick] [-- --only=sequential|inflight|captured|latency|scale] [-- --no-ballast]
//                 [-- --repeat=2] [-- --alive=100,1000,10000]
//
// Every Node measurement runs in a fresh process (bench/contender.mjs), so one contender's ballast
// never weighs on another. Each is repeated (twice by default, once with --quick) and the best rate
// kept, since interference only ever slows a run down. The table goes to stdout and the same
// numbers, every run included, to build/bench/last.json.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const outDir = join(root, 'build', 'bench');
const baselineSource = join(here, 'baseline.c');
const baselineBinary = join(outDir, 'baseline');
const stampSource = join(here, 'stamp.c');
const stampBinary = join(outDir, 'stamp');
const capturedSource = join(here, 'captured.c');
const latencySource = join(here, 'latency.c');
const latencyBinary = join(outDir, 'latency');
const capturedBinary = join(outDir, 'captured');
const INFLIGHT = 32;
const BALLAST_GIB = 2;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-ballast': { type: 'boolean', default: false },
    repeat: { type: 'string' },
    alive: { type: 'string' },
  },
});
const MODES = ['sequential', 'inflight', 'captured'];
if (flags.only !== undefined && ![...MODES, 'latency', 'scale'].includes(flags.only)) {
  console.error(`--only must be sequential, inflight, captured, latency or scale, got ${JSON.stringify(flags.only)}`);
  process.exit(2);
}
// Children alive at once in the scale row; --quick leaves out 10,000.
const aliveCounts = (flags.alive ?? (flags.quick ? '100,1000' : '100,1000,10000')).split(',').map(Number);
if (!aliveCounts.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(`--alive must list positive integers, got ${JSON.stringify(flags.alive)}`);
  process.exit(2);
}
const SCALE_CONTENDERS = ['private', 'private-direct', 'child_process'];

// Seconds of measurement per Node contender, and children per C baseline run.
const seconds = flags.quick ? 0.5 : 2.5;
const warmupSeconds = flags.quick ? 0.1 : 0.3;
const baselineCount = flags.quick ? 500 : 3000;
const repeat = Number(flags.repeat ?? (flags.quick ? 1 : 2));
if (!(Number.isInteger(repeat) && repeat > 0)) {
  console.error(`--repeat must be a positive integer, got ${JSON.stringify(flags.repeat)}`);
  process.exit(2);
}

const NODE_CONTENDERS = ['private', 'private-direct', 'child_process', 'execa'];
const LABELS = {
  private: 'pp hidden',
  'private-direct': 'pp direct',
  child_process: 'child_process',
  execa: 'execa',
  baseline: 'C baseline',
};
const FLOOR_LABEL = 'C floor (epoll)';
const latencyCount = flags.quick ? 300 : 2000;

/**
 * compile builds a C program of bench/ into build/bench/ unless the binary is newer, and returns
 * null, or the first line of the compiler's complaint when it could not.
 */
async function compile(source, binary) {
  mkdirSync(outDir, { recursive: true });
  const mtime = (path) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return -1;
    }
  };
  if (mtime(binary) > mtime(source)) return null;
  const cc = process.env.CC ?? 'cc';
  const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source];
  console.log(`compiling ${relative(root, source)}: ${cc} ${args.join(' ').replaceAll(root + '/', '')}`);
  try {
    await run(cc, args);
    return null;
  } catch (err) {
    return `${cc} failed: ${(err.stderr || err.message).trim().split('\n')[0]}`;
  }
}

/** lastJsonLine parses the last line of a measurement's stdout. */
function lastJsonLine(stdout) {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** measureNode runs bench/contender.mjs once; an unavailable contender yields { error }. */
async function measureNode(contender, mode, ballastGiB) {
  const args = [
    join(here, 'contender.mjs'),
    `--contender=${contender}`,
    `--mode=${mode}`,
    `--inflight=${INFLIGHT}`,
    `--ballast-gib=${ballastGiB}`,
    `--seconds=${seconds}`,
    `--warmup-seconds=${warmupSeconds}`,
    `--stamp=${stampBinary}`,
    `--count=${latencyCount}`,
  ];
  try {
    const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 120_000 });
    return lastJsonLine(stdout);
  } catch (err) {
    if (err.stdout) {
      try {
        return lastJsonLine(err.stdout);
      } catch {
        // Fall through to the generic error below.
      }
    }
    return { error: (err.stderr || err.message).trim().split('\n')[0] };
  }
}

/**
 * measureBaseline runs the C baseline once with its own ballast: bench/baseline.c, or for the
 * captured row bench/captured.c.
 */
async function measureBaseline(mode, ballastGiB, compileError) {
  if (compileError) return { error: compileError };
  const args = mode === 'inflight' ? ['inflight', `${baselineCount}`, `${INFLIGHT}`] : [mode, `${baselineCount}`];
  if (ballastGiB > 0) args.push('--ballast-gib', `${ballastGiB}`);
  try {
    const [binary, argv] = mode === 'captured' ? [capturedBinary, [`${baselineCount}`]] : [baselineBinary, args];
    const { stdout } = await run(binary, argv, { timeout: 120_000 });
    return lastJsonLine(stdout);
  } catch (err) {
    return { error: (err.stderr || err.message).trim().split('\n')[0] };
  }
}

/**
 * measureLatencyFloor runs bench/latency.c: the same children, waited for by a C program asleep in
 * epoll_wait on each one's pidfd, the part of the latency no library can remove.
 */
async function measureLatencyFloor(compileError) {
  if (compileError) return { error: compileError };
  try {
    const { stdout } = await run(latencyBinary, [`${latencyCount}`, stampBinary], { timeout: 120_000 });
    const { p50, p99 } = lastJsonLine(stdout);
    return { p50us: Math.round(p50), p99us: Math.round(p99) };
  } catch (err) {
    return { error: (err.stderr || err.message).trim().split('\n')[0] };
  }
}

/** best keeps the run with the highest rate, listing every run's rate beside it. */
function best(runs) {
  const ok = runs.filter((r) => r.rate > 0);
  if (ok.length === 0) return runs[0];
  const top = ok.reduce((a, b) => (b.rate > a.rate ? b : a));
  return { ...top, runs: runs.map((r) => (r.rate > 0 ? Math.round(r.rate) : null)) };
}

/**
 * cpuSnapshot reads the machine's busy and total CPU time and this process's own, children
 * included, all in clock ticks; null where /proc cannot tell.
 */
function cpuSnapshot() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu;
    const busy = user + nice + system + irq + softirq + steal;
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name start at field 3; utime, stime, cutime and cstime are 14 to 17.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const own = fields[11] + fields[12] + fields[13] + fields[14];
    return { busy, total: busy + idle + iowait, own };
  } catch {
    return null;
  }
}

/** otherLoad is the share of all CPUs that processes outside the bench kept busy between snapshots. */
function otherLoad(before, after) {
  if (!before || !after || after.total === before.total) return null;
  const other = after.busy - before.busy - (after.own - before.own);
  return Math.max(0, other) / (after.total - before.total);
}

/** ratio divides two rates, or returns null when either is missing. */
function ratio(a, b) {
  return a?.rate > 0 && b?.rate > 0 ? a.rate / b.rate : null;
}

/** formatRate prints a measured rate, or n/a for a contender that did not run. */
function formatRate(result) {
  return result?.rate > 0 ? `${Math.round(result.rate)}/s` : 'n/a';
}

/** formatRatio prints a ratio of rates, or n/a. */
function formatRatio(value) {
  return value === null ? 'n/a' : `${value.toFixed(2)}x`;
}

/** printColumns prints a header and rows, the first column left-aligned, the others right. */
function printColumns(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of body) console.log(line(r));
}

/** printTable prints one row per scenario: each contender's rate, then spawnPrivate's ratios. */
function printTable(rows) {
  printColumns(
    ['scenario', ...Object.values(LABELS), 'pp/cp', 'pp/execa', 'pp/C', 'hidden/direct'],
    rows.map((row) => [
      row.scenario,
      ...Object.keys(LABELS).map((key) => formatRate(row.results[key])),
      formatRatio(row.ratios.childProcess),
      formatRatio(row.ratios.execa),
      formatRatio(row.ratios.baseline),
      formatRatio(row.ratios.hiddenDirect),
    ]),
  );
}

/**
 * printCpu prints, per scenario, the CPU time each Node contender's own process (user and system,
 * its children not included) spent per spawn: on a busy machine it moves less than the rates do.
 */
function printCpu(rows) {
  console.log('\nCPU time of the spawning Node process per spawn (user + system, children not counted):\n');
  printColumns(
    ['scenario', ...NODE_CONTENDERS.map((key) => LABELS[key])],
    rows.map((row) => [
      row.scenario,
      ...NODE_CONTENDERS.map((key) => (row.results[key]?.cpuUs > 0 ? `${row.results[key].cpuUs} µs` : 'n/a')),
    ]),
  );
}

/**
 * taskRoom says why `alive` children cannot all run at once here (each hidden child is two tasks:
 * the child and its intermediate), or null when they can.
 */
function taskRoom(alive) {
  try {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const threadsMax = Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8'));
    const tasks = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[1]);
    const room = Math.min(pidMax, threadsMax) - tasks;
    return 2 * alive + 256 > room ? `${alive} hidden children need ${2 * alive} tasks, ${room} are left` : null;
  } catch {
    return null;
  }
}

/**
 * measureScale runs bench/scale.mjs for each count of children alive and each contender, in that
 * order, so that the contenders of one count are measured close together.
 */
async function measureScale() {
  const results = [];
  for (const alive of aliveCounts) {
    process.stderr.write(`measuring ${alive} children alive: `);
    const why = taskRoom(alive);
    for (const contender of SCALE_CONTENDERS) {
      process.stderr.write(`${LABELS[contender]} `);
      if (why !== null) {
        results.push({ contender, alive, error: why });
        continue;
      }
      const args = [join(here, 'scale.mjs'), `--contender=${contender}`, `--alive=${alive}`];
      try {
        const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 600_000 });
        results.push(lastJsonLine(stdout));
      } catch (err) {
        results.push({ contender, alive, error: (err.stderr || err.stdout || err.message).trim().split('\n')[0] });
      }
    }
    process.stderr.write('\n');
  }
  return results;
}

/**
 * printScale prints, per count of children alive and contender, what each child cost; then
 * hidden's kill+wait against its own at the smallest count and child_process's at the same count,
 * and its spawn against child_process's.
 */
function printScale(results) {
  const us = (v) => (v > 0 ? `${Math.round(v)} µs` : 'n/a');
  const num = (v) => (typeof v === 'number' ? v.toFixed(2) : 'n/a');
  console.log(
    `\nChildren alive at once (sleep 600, stdio 'ignore'), then all killed (SIGKILL) and waited; per child:\n`,
  );
  printColumns(
    ['alive', 'contender', 'spawn', 'kill+wait', 'RSS KiB', 'mappings', 'descriptors', 'tasks'],
    results.map((r) => [
      String(r.alive),
      LABELS[r.contender],
      us(r.spawnUs),
      us(r.killWaitUs),
      num(r.rssKiBPerChild),
      num(r.mapsPerChild),
      num(r.fdsPerChild),
      num(r.tasksPerChild),
    ]),
  );
  console.log("tasks: this process's threads and the processes it is the parent of, the children themselves apart.");
  for (const r of results) {
    if (r.error || typeof r.tasksAdded !== 'number') continue;
    console.log(
      `${r.alive} ${LABELS[r.contender]} children alive: this process ${Math.round(r.rssKiBAdded / 1024)} MiB ` +
        `of RSS and ${r.tasksAdded} tasks more than with none`,
    );
  }
  const find = (contender, alive) => results.find((r) => r.contender === contender && r.alive === alive && !r.error);
  const first = find('private', aliveCounts[0]);
  const div = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log('');
  printColumns(
    ['alive', `hidden kill+wait / at ${aliveCounts[0]}`, 'hidden kill+wait / cp', 'hidden spawn / cp'],
    aliveCounts.map((alive) => {
      const h = find('private', alive);
      const cp = find('child_process', alive);
      return [
        String(alive),
        div(h?.killWaitUs, first?.killWaitUs),
        div(h?.killWaitUs, cp?.killWaitUs),
        div(h?.spawnUs, cp?.spawnUs),
      ];
    }),
  );
  console.log(
    'A ratio below 1 means hidden costs less. The soft descriptor limit is the hard one (Node raises it at start-up).',
  );
  for (const r of results) {
    if (r.error) {
      process.exitCode = 1;
      console.log(`${r.alive} alive, ${LABELS[r.contender]}: ${r.error}`);
    }
  }
}

/** printLatency prints the exit-to-settled latency of each Node contender. */
function printLatency(latencies) {
  printColumns(
    ['exit -> wait settled', 'p50', 'p99'],
    Object.entries(latencies).map(([key, r]) => [
      key === 'floor' ? FLOOR_LABEL : LABELS[key],
      r.p50us > 0 ? `${r.p50us} µs` : 'n/a',
      r.p99us > 0 ? `${r.p99us} µs` : 'n/a',
    ]),
  );
}

async function main() {
  const compileError = await compile(baselineSource, baselineBinary);
  const stampError = await compile(stampSource, stampBinary);
  const capturedError = await compile(capturedSource, capturedBinary);
  const latencyError = await compile(latencySource, latencyBinary);
  const cpuBefore = cpuSnapshot();
  const modes = flags.only ? [flags.only].filter((m) => MODES.includes(m)) : MODES;
  const rows = [];
  for (const mode of modes) {
    // The captured row runs without ballast only.
    const ballasts = flags['no-ballast'] || mode === 'captured' ? [0] : [0, BALLAST_GIB];
    for (const ballastGiB of ballasts) {
      const scenario =
        mode === 'captured'
          ? 'captured output'
          : `${mode === 'inflight' ? `${INFLIGHT} in flight` : 'sequential'}${ballastGiB ? ` + ${ballastGiB} GiB heap` : ''}`;
      process.stderr.write(`measuring ${scenario}: `);
      const results = {};
      const runs = Object.fromEntries([...NODE_CONTENDERS, 'baseline'].map((key) => [key, []]));
      for (let i = 0; i < repeat; i++) {
        for (const contender of NODE_CONTENDERS) {
          process.stderr.write(`${LABELS[contender]} `);
          runs[contender].push(await measureNode(contender, mode, ballastGiB));
        }
        process.stderr.write('C-baseline ');
        runs.baseline.push(await measureBaseline(mode, ballastGiB, mode === 'captured' ? capturedError : compileError));
      }
      process.stderr.write('\n');
      for (const [key, list] of Object.entries(runs)) results[key] = best(list);
      const ratios = {
        childProcess: ratio(results.private, results.child_process),
        execa: ratio(results.private, results.execa),
        baseline: ratio(results.private, results.baseline),
        hiddenDirect: ratio(results.private, results['private-direct']),
      };
      rows.push({ scenario, mode, inflight: mode === 'inflight' ? INFLIGHT : 1, ballastGiB, results, ratios });
    }
  }

  const latencies = {};
  if (!flags.only || flags.only === 'latency') {
    process.stderr.write('measuring the latency from exit to wait settled: ');
    for (const contender of NODE_CONTENDERS) {
      process.stderr.write(`${LABELS[contender]} `);
      latencies[contender] = stampError ? { error: stampError } : await measureNode(contender, 'latency', 0);
    }
    process.stderr.write('C-floor ');
    latencies.floor = await measureLatencyFloor(stampError ?? latencyError);
    process.stderr.write('\n');
  }

  const scale = !flags.only || flags.only === 'scale' ? await measureScale() : [];

  const backend =
    [
      ...rows.map((r) => r.results.private?.backend ?? r.results.private?.available),
      ...scale.map((r) => r.backend),
    ].find(Boolean) ?? null;
  const clone = rows.map((r) => r.results.baseline?.clone).find(Boolean) ?? null;
  const machine = {
    node: process.version,
    kernel: os.release(),
    cpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
  const load = otherLoad(cpuBefore, cpuSnapshot());
  console.log(
    `\n${rows.some((r) => r.mode !== 'captured') ? "spawn + wait of /bin/true, stdio 'ignore'; " : ''}node ${machine.node}, linux ${machine.kernel}, ` +
      `${machine.cpus} cpus; spawnPrivate backend: ${backend ?? 'n/a'}; C baseline: ${clone ?? 'n/a'}\n`,
  );
  if (rows.length > 0) {
    printTable(rows);
    console.log(
      '\npp = spawnPrivate, hidden (its default) or direct isolation; cp = child_process.spawn; the pp/* ratios\n' +
        "are hidden's; a ratio above 1 means spawnPrivate is faster. The captured output row runs `/bin/echo hello`\n" +
        'one at a time and gets its stdout as a string: pp = runPrivate (its defaults), cp = execFile, execa its\n' +
        'defaults, C = posix_spawn, two pipes read to their end, waitpid (bench/captured.c).',
    );
    printCpu(rows);
  }
  if (Object.keys(latencies).length > 0) {
    console.log(
      `\nOne at a time, ${latencyCount} children, from the child's exit to the wait settling in JavaScript:\n`,
    );
    printLatency(latencies);
    console.log(
      'C floor: the same children waited for by a C program asleep in epoll_wait on their pidfds\n' +
        '(bench/latency.c), what the kernel and the scheduler alone take between the exit and the reap.',
    );
  }
  if (scale.length > 0) printScale(scale);
  if (rows.length > 0) console.log(`Each rate is the best of ${repeat} run${repeat > 1 ? 's' : ''}.`);
  if (load !== null) {
    const skewed = load > 0.15 ? ': these numbers are skewed' : '';
    console.log(`Other processes kept ${Math.round(load * 100)}% of the CPUs busy meanwhile${skewed}.`);
  }
  for (const row of rows) {
    for (const [key, result] of Object.entries(row.results)) {
      if (result.error || result.failures) process.exitCode = 1;
      if (result.error) console.log(`${row.scenario}, ${LABELS[key]}: ${result.error}`);
      else if (result.failures)
        console.log(`${row.scenario}, ${LABELS[key]}: ${result.failures} children did not exit 0`);
    }
  }

  const report = {
    date: new Date().toISOString(),
    machine,
    otherCpuLoad: load === null ? null : Math.round(load * 1000) / 1000,
    settings: {
      quick: flags.quick,
      repeat,
      seconds,
      warmupSeconds,
      baselineCount,
      inflight: INFLIGHT,
      ballastGiB: BALLAST_GIB,
    },
    backend,
    baselineClone: clone,
    rows,
    latencies,
    scale,
  };
  writeFileSync(join(outDir, 'last.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to ${relative(root, join(outDir, 'last.json'))}`);
}

await main();
