#!/usr/bin/env node
// Runs Node's own child_process tests against private-process/child_process:
//
//   npm run build:ts
//   node scripts/node-child-process-tests.mjs <node-source>/test [name-filter]
//
// Each test/parallel/test-child-process-*.js (or .mjs) of that tree that
// uses only public API (no --expose-internals, internalBinding,
// process.binding or require('internal/...')) runs in a Node process with
// scripts/node-child-process-hook.cjs preloaded, which redirects every
// child_process require and import to this package; the test's own
// `// Flags:` line is honoured, and Node's test/common comes from the same
// tree. A test passes when it exits 0 within the time limit. It prints one
// line per test, then the count. Nothing of Node's tree is kept here:
// give the path of a checkout (the tests are not part of this package).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const hook = path.join(here, 'node-child-process-hook.cjs');
const [testDir, filter] = process.argv.slice(2);
if (!testDir) {
  console.error('usage: node scripts/node-child-process-tests.mjs <node-source>/test [name-filter]');
  process.exit(2);
}
const LIMIT_MS = Number(process.env.PP_NODE_TEST_TIMEOUT_MS ?? 120_000);
const internal = /--expose[-_]internals|internalBinding|process\.binding\(|require\(['"]internal\//;

const parallel = path.join(testDir, 'parallel');
const tests = readdirSync(parallel)
  .filter((f) => /^test-child-process-.*\.m?js$/.test(f))
  .filter((f) => !filter || f.includes(filter))
  .sort();

let passed = 0;
let ran = 0;
const failed = [];
for (const name of tests) {
  const file = path.join(parallel, name);
  const source = readFileSync(file, 'utf8');
  if (internal.test(source)) {
    console.log(`skip ${name} (internal API)`);
    continue;
  }
  const flags = (source.match(/^\/\/ Flags: (.*)$/m)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-node-test-'));
  const r = spawnSync(process.execPath, ['--require', hook, ...flags, file], {
    cwd: path.dirname(testDir),
    env: { ...process.env, NODE_TEST_DIR: tmp },
    encoding: 'utf8',
    timeout: LIMIT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  rmSync(tmp, { recursive: true, force: true });
  ran++;
  if (r.status === 0) {
    passed++;
    console.log(`pass ${name}`);
  } else {
    const why = r.error ? r.error.code : r.signal ? r.signal : `exit ${r.status}`;
    const last = `${r.stderr}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    failed.push(name);
    console.log(`FAIL ${name} (${why}) ${last.slice(0, 300)}`);
  }
}
console.log(`\n${passed} of ${ran} passed (${tests.length - ran} skipped: internal API)`);
