#!/usr/bin/env node
// demo.mjs: the problem of Ruby feature #19322, in Node.
//
// A SIGCHLD listener reaps every child it can with waitpid(-1, WNOHANG), as pre-forking servers
// and init-style reapers do. Meanwhile the same command runs many times through
// child_process.spawn, then through spawnPrivate. An ordinary child whose status the listener took
// never emits 'exit'; a private child is not this process's child at all (hidden isolation, the
// default on Linux): the listener is never woken for it, never reaps it, and its status reaches its
// handle.
//
//   npm run demo [-- --count=200] [-- --parallel=8] [-- --cooperative] [-- --isolation=direct]
//
// By default the listener calls the raw libc waitpid, which knows nothing of private children.
// With --cooperative it calls the package's own waitpid, which never returns a private status.
// --isolation=direct shows private children that are this process's own.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const SCRIPT = 'echo hello; exit 3';
const EXPECTED_STDOUT = 'hello\n';
const EXPECTED_CODE = 3;
// How long an ordinary child may take to emit 'exit' after its stdout closed before it counts as lost.
const DEADLINE_MS = 2000;

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    parallel: { type: 'string', default: '8' },
    cooperative: { type: 'boolean', default: false },
    isolation: { type: 'string' },
  },
});
const count = Number(opts.count);
const parallel = Number(opts.parallel);
if (!(Number.isInteger(count) && count > 0 && Number.isInteger(parallel) && parallel > 0)) {
  console.error('--count and --parallel must be positive integers');
  process.exit(2);
}

const { spawnPrivate, waitpid, capabilities } = await import('../esm/index.mjs');

/** loadRawWaitpid returns the addon's raw libc waitpid, exported for demos and tests, or null. */
function loadRawWaitpid() {
  try {
    const { native } = createRequire(import.meta.url)('../dist/cjs/native.js');
    return typeof native?.rawWaitpid === 'function' ? native.rawWaitpid : null;
  } catch {
    return null;
  }
}

const rawWaitpid = opts.cooperative ? null : loadRawWaitpid();
let reaperName;
let reapOne;
if (rawWaitpid) {
  reaperName = 'the raw libc waitpid (hostile: it knows nothing of private children)';
  reapOne = () => rawPid(rawWaitpid(-1, true));
} else {
  reaperName = "the package's waitpid (cooperative: it never returns a private status)";
  if (!opts.cooperative)
    reaperName += '\n  note: this build exports no rawWaitpid, so the hostile reaper falls back to it';
  reapOne = () => waitpid(-1, { nohang: true })?.pid ?? 0;
}

/**
 * rawPid reads the pid out of what rawWaitpid returned: `{ pid, status }` or `[pid, status]`, null
 * when no child has exited, and for a failure either a thrown error or a negative errno.
 */
function rawPid(result) {
  if (result === null || result === undefined) return 0;
  if (typeof result === 'number') {
    if (result >= 0) return result;
    const code = Object.keys(os.constants.errno).find((name) => os.constants.errno[name] === -result);
    throw Object.assign(new Error(`waitpid: ${code ?? result}`), { code, errno: result });
  }
  return Array.isArray(result) ? result[0] : result.pid;
}

// Which API started each pid, what the listener took from each kind, and how often SIGCHLD woke it
// while each kind ran.
const kindOf = new Map();
const stolen = { ordinary: 0, private: 0, unknown: 0 };
const stolenPids = new Set();
const woken = { ordinary: 0, private: 0 };
let running = 'ordinary';

/** onSigchld counts the signal for the kind of children running, then reaps. */
function onSigchld() {
  woken[running]++;
  reap();
}

/** reap takes every exited child's status, as a hostile SIGCHLD handler would. */
function reap() {
  for (;;) {
    let pid;
    try {
      pid = reapOne();
    } catch (err) {
      if (err.code === 'ECHILD') return;
      throw err;
    }
    if (pid === 0) return;
    stolen[kindOf.get(pid) ?? 'unknown']++;
    stolenPids.add(pid);
  }
}

/**
 * runOrdinary starts one child with child_process.spawn. It resolves `done` once stdout has
 * closed, so the next child can start, and `verdict` once 'exit' came or the deadline passed.
 */
function runOrdinary() {
  const child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  kindOf.set(child.pid, 'ordinary');
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const done = finished(child.stdout);
  const verdict = done.then(async () => {
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, DEADLINE_MS, null)));
    const exit = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    // libuv keeps watching a child whose status was taken; let the event loop end without it.
    if (exit === null) child.unref();
    return { pid: child.pid, stdout, exit };
  });
  return { done, verdict };
}

/** runPrivate starts one child with spawnPrivate and waits for it through its handle. */
async function runPrivate() {
  const handle = spawnPrivate('/bin/sh', ['-c', SCRIPT], {
    stdio: ['ignore', 'pipe', 'inherit'],
    isolation: opts.isolation,
  });
  kindOf.set(handle.pid, 'private');
  let stdout = '';
  handle.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  await finished(handle.stdout);
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, DEADLINE_MS, null)));
  let status;
  let error = null;
  try {
    status = await Promise.race([handle.wait(), timeout]);
  } catch (err) {
    status = null;
    error = err;
  }
  clearTimeout(timer);
  if (status === null && error === null) handle.unref();
  return { pid: handle.pid, isolation: handle.isolation, stdout, status, error };
}

async function main() {
  const caps = capabilities();
  console.log('A SIGCHLD listener reaps every exited child with waitpid(-1, WNOHANG), using');
  console.log(`  ${reaperName}.`);
  console.log(
    `Running \`/bin/sh -c '${SCRIPT}'\` ${count} times with each API, ${parallel} at a time ` +
      `(spawnPrivate backend: ${caps.backend}, isolation: ${opts.isolation ?? caps.isolation}).\n`,
  );

  process.on('SIGCHLD', onSigchld);
  // One kind of child at a time, so that each SIGCHLD is counted for the kind that caused it.
  const ordinary = await inLanes(async () => {
    const child = runOrdinary();
    await child.done;
    return child.verdict;
  });
  const ordinaryVerdicts = await Promise.all(ordinary);
  reap();
  await new Promise((resolve) => setTimeout(resolve, 100));
  running = 'private';
  const priv = await Promise.all(await inLanes(async () => runPrivate()));
  // A last sweep, then the listener goes: every child has now been waited for or reaped.
  reap();
  process.off('SIGCHLD', onSigchld);

  const report = summarize(ordinaryVerdicts, priv);
  printReport(report, caps);
  process.exitCode = report.private.lost === 0 && report.private.wrong.length === 0 ? 0 : 1;
}

/** inLanes runs `one` count times, parallel at a time, and returns what each call resolved with. */
async function inLanes(one) {
  const results = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      const r = one();
      results.push(r);
      await r;
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return results;
}

/** summarize counts, for each API, delivered and lost statuses and wrong output. */
function summarize(ordinary, priv) {
  const isExpected = (code, signal) => code === EXPECTED_CODE && signal === null;
  const o = {
    delivered: ordinary.filter((r) => r.exit !== null),
    lost: ordinary.filter((r) => r.exit === null).length,
    stolen: stolen.ordinary,
    stdoutOk: ordinary.filter((r) => r.stdout === EXPECTED_STDOUT).length,
  };
  o.wrong = o.delivered
    .filter((r) => !isExpected(r.exit.code, r.exit.signal))
    .map((r) => `pid ${r.pid}: ${r.exit.code ?? r.exit.signal}`);
  const p = {
    isolation: priv[0]?.isolation ?? 'n/a',
    delivered: priv.filter((r) => r.status),
    lost: priv.filter((r) => !r.status).length,
    stolen: stolen.private,
    stdoutOk: priv.filter((r) => r.stdout === EXPECTED_STDOUT).length,
    errors: priv.filter((r) => r.error).map((r) => `pid ${r.pid}: ${r.error.code ?? ''} ${r.error.message}`),
  };
  p.wrong = p.delivered.filter((r) => !isExpected(r.status.exitCode, r.status.signal)).map((r) => String(r.status));
  const lostUnseen = ordinary.filter((r) => r.exit === null && !stolenPids.has(r.pid)).length;
  return { ordinary: o, private: p, lostUnseen };
}

function printReport({ ordinary: o, private: p, lostUnseen }, caps) {
  const rows = [
    ['', 'child_process.spawn', 'spawnPrivate'],
    ['status delivered', `${o.delivered.length}`, `${p.delivered.length}`],
    ['status lost', `${o.lost}`, `${p.lost}`],
    ['reaped by the listener', `${o.stolen}`, `${p.stolen}`],
    ['SIGCHLD woke the listener', `${woken.ordinary}`, `${woken.private}`],
    ['stdout was "hello"', `${o.stdoutOk}`, `${p.stdoutOk}`],
    ['delivered status is exit 3', yesNo(o), yesNo(p)],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    console.log(`${r[0].padEnd(widths[0])}   ${r[1].padStart(widths[1])}   ${r[2].padStart(widths[2])}`);
  console.log('');
  if (o.lost > 0) {
    const who = o.lost === 1 ? 'ordinary child never' : 'ordinary children never';
    console.log(`${o.lost} ${who} emitted 'exit' (counted lost ${DEADLINE_MS / 1000} s after stdout closed).`);
    console.log("How many varies from run to run: libuv's own SIGCHLD watcher and the listener race for them.");
  } else {
    console.log('No ordinary child lost its status in this run: libuv reaped each one before the listener could.');
  }
  if (lostUnseen > 0) console.log(`${lostUnseen} of them were not seen by the listener either (slow, not stolen).`);
  if (p.stolen === 0 && woken.private === 0) {
    console.log(
      `The private children (isolation: ${p.isolation}) were not this process's children: the listener was never ` +
        'woken for them and reaped none.',
    );
  } else if (p.stolen > 0 && p.lost === 0) {
    const how = caps.pidfdInfoExit ? ' (read back through the pidfd, PIDFD_INFO_EXIT)' : '';
    console.log(`The listener reaped ${p.stolen} private children too; their handles still got every status${how}.`);
  }
  if (p.lost > 0 && !caps.pidfdInfoExit) {
    console.log('This kernel cannot return a stolen status through the pidfd (PIDFD_INFO_EXIT needs Linux 6.15).');
  }
  for (const line of [...o.wrong, ...p.wrong, ...p.errors].slice(0, 5)) console.log(`unexpected: ${line}`);
}

function yesNo(side) {
  if (side.delivered.length === 0) return 'n/a';
  return side.wrong.length === 0 ? 'all' : `${side.delivered.length - side.wrong.length} of ${side.delivered.length}`;
}

await main();
