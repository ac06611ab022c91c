#!/usr/bin/env bash
# valgrind-spawn.sh: a memcheck run of a loop of spawns (test/fixtures/spawn-loop.cjs).
#
#   npm run valgrind [-- COUNT]        (default 1000 spawns)
#
# Node runs under valgrind's memcheck (--jitless: no generated code to confuse it); the children
# it starts are not traced. Every memcheck finding whose stack passes through the addon or the shim
# is printed and fails the run: an invalid read or write, a use of an uninitialised value, a
# double free, or a block definitely lost. Findings entirely inside Node and V8 are counted, not
# judged. The full XML reports stay in build/valgrind/.
#
# Valgrind (3.19, Debian 12) knows neither pidfd_open nor the clone of a task that shares memory
# without being a thread (the intermediate of hidden isolation), so the run forces the fallback
# backend (PRIVATE_PROCESS_BACKEND=fallback, which keeps the linux backend from even being probed)
# and exercises the Node-API glue, the table and the fallback backend; the linux backend's own
# memory is checked by `npm run test:sanitize`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
out=$repo/build/valgrind
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
cd "$repo"
npm run --silent build:ts
rm -rf "$out" && mkdir -p "$out"

set +e
result=$(PRIVATE_PROCESS_BACKEND=fallback nice -n 10 valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 \
  --xml=yes --xml-file="$out/memcheck.%p.xml" \
  node --jitless --expose-gc test/fixtures/spawn-loop.cjs "$count")
status=$?
set -e
echo "$result"
[ "$status" = 0 ] || { echo "valgrind-spawn: the loop exited $status" >&2; exit 1; }
[[ $result == *'"table":0'* ]] || { echo "valgrind-spawn: the loop did not finish with an empty table" >&2; exit 1; }

node - "$out" <<'JS'
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
let ours = 0;
let theirs = 0;
// Node's own wrapper of an external (napi_create_external) that V8 had not collected by exit: the
// handles still alive then. A few are expected; one per spawn would mean handles are never freed.
let uncollected = 0;
// Under valgrind the C library's vfork-style spawn is a fork: each child is a copy of Node, traced
// until its exec, with a report of its own. A copy whose exec failed exits in the middle of the
// addon's call, holding everything the call had: its leaks are the fork's, not the addon's.
const reports = readdirSync(dir)
  .filter((f) => f.endsWith('.xml'))
  .map((file) => {
    const xml = readFileSync(path.join(dir, file), 'utf8');
    return { xml, pid: /<pid>(\d+)<\/pid>/.exec(xml)?.[1], ppid: /<ppid>(\d+)<\/ppid>/.exec(xml)?.[1] };
  });
const pids = new Set(reports.map((r) => r.pid));
let forkLeaks = 0;
let stackScans = 0;
for (const { xml, ppid } of reports) {
  const forkedCopy = pids.has(ppid);
  for (const [error] of xml.matchAll(/<error>[\s\S]*?<\/error>/g)) {
    const kind = /<kind>(.*?)<\/kind>/.exec(error)[1];
    const what = /<text>(.*?)<\/text>/.exec(error)?.[1] ?? kind;
    const frames = [...error.matchAll(/<frame>([\s\S]*?)<\/frame>/g)].map(([, f]) => {
      const fn = /<fn>(.*?)<\/fn>/.exec(f)?.[1] ?? '?';
      const obj = /<obj>(.*?)<\/obj>/.exec(f)?.[1] ?? '';
      return { fn, obj };
    });
    const external = frames.findIndex((f) => f.fn === 'napi_create_external');
    if (forkedCopy && kind.startsWith('Leak_')) {
      forkLeaks++;
    } else if (kind.startsWith('Uninit') && /IteratePointersInStack/.test(frames[0]?.fn ?? '')) {
      // V8's conservative stack scan reads every word of the stack, the addon's frames included,
      // whether or not it was ever written.
      stackScans++;
    } else if (kind === 'Leak_DefinitelyLost' && external >= 0 && /private_process/.test(frames[external + 1]?.obj ?? '')) {
      uncollected += Number(/in (\d+) blocks/.exec(what)?.[1] ?? 1);
    } else if (frames.some((f) => /private_process/.test(f.obj))) {
      ours++;
      console.log(`${kind}: ${what}`);
      for (const f of frames.slice(0, 12)) console.log(`    ${f.fn} (${path.basename(f.obj)})`);
    } else {
      theirs++;
    }
  }
}
console.log(
  `valgrind-spawn: ${ours} findings through the addon, ${theirs} inside Node and V8 only, ` +
    `${uncollected} handle externals not yet collected at exit, ${stackScans} uninitialised words ` +
    `read by V8's stack scan, ${forkLeaks} leaks of fork copies ended by a failed exec`,
);
process.exit(ours > 0 || uncollected > 10 ? 1 : 0);
JS
