// install.cjs: the package's install step.
//
// Where binding.gyp has native sources for this platform (Linux, macOS, FreeBSD), node-gyp-build
// loads a prebuilt addon from prebuilds/ or compiles one. Elsewhere (Windows first) there is
// nothing to build: the portable backend, over child_process, is used. A native build that fails
// does not fail the install either: the portable backend stands in, and capabilities() says why.
// With PRIVATE_PROCESS_WERROR=1 (this repository's CI) it does fail, as warnings do.
const { spawnSync } = require('node:child_process');

/** The platforms binding.gyp builds the addon for. */
const NATIVE = ['linux', 'darwin', 'freebsd'];

/** plan tells what the install does on a platform: 'native' (build or load the addon) or 'portable'. */
function plan(platform) {
  return NATIVE.includes(platform) ? 'native' : 'portable';
}

function main() {
  if (plan(process.platform) === 'portable') {
    console.log(`private-process: no native backend for ${process.platform}; the portable backend is used`);
    return 0;
  }
  const r = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], { stdio: 'inherit' });
  if (r.status === 0) return 0;
  if (process.env.PRIVATE_PROCESS_WERROR === '1') return r.status ?? 1;
  console.warn('private-process: the native build failed; the portable backend is used (see capabilities())');
  return 0;
}

if (require.main === module) process.exitCode = main();

module.exports = { NATIVE, plan };
