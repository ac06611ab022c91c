// sanitize-preload.cjs: loaded with --require (NODE_OPTIONS) into every Node process of a
// sanitizer run (scripts/test-sanitize.sh).
//
// The sanitizer runtime must be preloaded into each Node process that loads the sanitized addon or
// shim, and into nothing else: programs the tests start (sh, ps, ...) must run as they always do
// (procps' ps, for one, deadlocks under the runtime). So the runtime leaves this process's
// LD_PRELOAD once it is loaded, and is put back, first, only into the environment of children that
// are Node itself or that run Node (seccomp-run, unshare): those whose file or arguments name
// process.execPath, whether child_process or the package itself (forkPrivate, the compat module's
// fork) starts them.
'use strict';
const childProcess = require('node:child_process');
const Module = require('node:module');

const runtime = process.env.PP_SANITIZE_RUNTIME;

/** The LD_PRELOAD value with the runtime first, given the one a child was to have. */
function withRuntime(preload) {
  const others = (preload || '').split(/[ :]/).filter((lib) => lib !== '' && lib !== runtime);
  return [runtime, ...others].join(' ');
}

/** Whether a child runs Node: its file, or one of its arguments, is this Node. */
function runsNode(file, args) {
  return file === process.execPath || (Array.isArray(args) && args.includes(process.execPath));
}

if (runtime) {
  const rest = withRuntime(process.env.LD_PRELOAD).split(' ').slice(1);
  if (rest.length > 0) process.env.LD_PRELOAD = rest.join(' ');
  else delete process.env.LD_PRELOAD;

  // Every asynchronous spawn goes through ChildProcess.prototype.spawn, with the env as pairs.
  const spawn = childProcess.ChildProcess.prototype.spawn;
  childProcess.ChildProcess.prototype.spawn = function spawnWithRuntime(options) {
    if (runsNode(options.file, options.args) && Array.isArray(options.envPairs)) {
      const at = options.envPairs.findIndex((pair) => pair.startsWith('LD_PRELOAD='));
      const pair = `LD_PRELOAD=${withRuntime(at < 0 ? '' : options.envPairs[at].slice('LD_PRELOAD='.length))}`;
      options.envPairs = at < 0 ? [...options.envPairs, pair] : options.envPairs.with(at, pair);
    }
    return spawn.call(this, options);
  };

  // The package's own spawns reach its addon as one block (lib/spawn.ts): the candidate paths,
  // argv and environment, each ending in NUL, with their counts; with SPAWN_INHERIT_ENV set there
  // is no environment in it, and the child gets this process's, which lacks the runtime now.
  const SPAWN_INHERIT_ENV = 0x100;
  const withRuntimeEnv = (backend, block, counts, cwd, stdio, flags, ...rest) => {
    const parts = block.split('\0').slice(0, -1);
    const [nc, na, ne] = counts;
    if (!parts.slice(0, nc).includes(process.execPath)) return [backend, block, counts, cwd, stdio, flags, ...rest];
    let env = parts.slice(nc + na, nc + na + ne);
    if (flags & SPAWN_INHERIT_ENV) {
      env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
      flags &= ~SPAWN_INHERIT_ENV;
    }
    const at = env.findIndex((pair) => pair.startsWith('LD_PRELOAD='));
    const pair = `LD_PRELOAD=${withRuntime(at < 0 ? '' : env[at].slice('LD_PRELOAD='.length))}`;
    env = at < 0 ? [...env, pair] : env.with(at, pair);
    block = [...parts.slice(0, nc + na), ...env].join('\0') + '\0';
    return [backend, block, [nc, na, env.length], cwd, stdio, flags, ...rest];
  };
  // Hooked when the package's dist/cjs/native.js is loaded: its `native` object is what spawns.
  const load = Module._load;
  Module._load = function loadWithRuntime(request, parent, isMain) {
    const loaded = load.call(this, request, parent, isMain);
    const native = loaded && loaded.native;
    if (native && typeof native.spawn === 'function' && 'shimPath' in loaded && !native.spawn.withRuntime) {
      const spawnNative = native.spawn;
      native.spawn = function spawnWithRuntime(...args) {
        return spawnNative.apply(this, withRuntimeEnv(...args));
      };
      native.spawn.withRuntime = true;
    }
    return loaded;
  };

  // The synchronous ones do not: wrap the two that take a file.
  for (const name of ['spawnSync', 'execFileSync']) {
    const original = childProcess[name];
    childProcess[name] = function syncWithRuntime(file, args, options) {
      if (!Array.isArray(args)) [args, options] = [[], args];
      if (runsNode(file, [file, ...args])) {
        const env = (options && options.env) || process.env;
        options = { ...options, env: { ...env, LD_PRELOAD: withRuntime(env.LD_PRELOAD) } };
      }
      return original.call(this, file, args, options);
    };
  }
}
