// sanitize-preload.cjs: loaded with --require (NODE_OPTIONS) into every Node process of a
// sanitizer run (scripts/test-sanitize.sh).
//
// The sanitizer runtime must be preloaded into each Node process that loads the sanitized addon,
// and into nothing else: programs the tests start (sh, ps, ...) must run as they always do (procps'
// ps, for one, deadlocks under the runtime). So the runtime leaves this process's LD_PRELOAD once it
// is loaded, and is put back only into the environment of children that are Node itself, or that
// run Node (seccomp-run, unshare): those whose file or arguments name process.execPath.
'use strict';
const { ChildProcess } = require('node:child_process');

const runtime = process.env.PP_SANITIZE_RUNTIME;
if (runtime) {
  const others = (process.env.LD_PRELOAD || '').split(/[ :]/).filter((lib) => lib !== '' && lib !== runtime);
  if (others.length > 0) process.env.LD_PRELOAD = others.join(' ');
  else delete process.env.LD_PRELOAD;

  const spawn = ChildProcess.prototype.spawn;
  ChildProcess.prototype.spawn = function spawnWithRuntime(options) {
    const runsNode = options.file === process.execPath || (options.args || []).includes(process.execPath);
    if (runsNode && Array.isArray(options.envPairs)) {
      const at = options.envPairs.findIndex((pair) => pair.startsWith('LD_PRELOAD='));
      const rest = at < 0 ? '' : options.envPairs[at].slice('LD_PRELOAD='.length);
      const pair = `LD_PRELOAD=${runtime}${rest ? ` ${rest}` : ''}`;
      options.envPairs = at < 0 ? [...options.envPairs, pair] : options.envPairs.with(at, pair);
    }
    return spawn.call(this, options);
  };
}
