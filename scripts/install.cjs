// install.cjs: the package's install step.
//
// Where binding.gyp has native sources for this platform (Linux, macOS, FreeBSD), node-gyp-build
// loads a prebuilt addon from prebuilds/ or compiles one. Elsewhere (Windows first) there is
// nothing to build: the portable backend, over child_process, is used. A native build that fails
// does not fail the install either: the portable backend stands in, and capabilities() says why.
// It says so on stderr, with the code of the warning a spawn then emits (PRIVATE_PROCESS_DEGRADED);
// npm shows a successful install script's output only with --foreground-scripts. With
// PRIVATE_PROCESS_STRICT=1 the install fails instead, and with PRIVATE_PROCESS_WERROR=1 (this
// repository's CI) it fails with the build's own status, as warnings do.
const { spawnSync } = require('node:child_process');

/** The platforms binding.gyp builds the addon for. */
const NATIVE = ['linux', 'darwin', 'freebsd'];

/** plan tells what the install does on a platform: 'native' (build or load the addon) or 'portable'. */
function plan(platform) {
  return NATIVE.includes(platform) ? 'native' : 'portable';
}

/** degradedNotice is what the install says when no native build could be loaded or made. */
function degradedNotice() {
  return (
    `private-process: warning PRIVATE_PROCESS_DEGRADED: no native build for ${process.platform}-${process.arch} ` +
    'could be loaded or compiled, so children will be started with child_process, as ordinary children whose ' +
    'status a foreign waitpid(-1) can take. Install a published release (it carries prebuilt binaries), or ' +
    'a C compiler, Python and make, then run `npm rebuild private-process`. PRIVATE_PROCESS_STRICT=1 makes ' +
    'this install fail, and such a spawn throw.'
  );
}

function main() {
  if (plan(process.platform) === 'portable') {
    console.log(`private-process: no native backend for ${process.platform}; the portable backend is used`);
    return 0;
  }
  const r = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], { stdio: 'inherit' });
  if (r.status === 0) return 0;
  if (process.env.PRIVATE_PROCESS_WERROR === '1') return r.status ?? 1;
  console.error(degradedNotice());
  return process.env.PRIVATE_PROCESS_STRICT === '1' ? 1 : 0;
}

if (require.main === module) process.exitCode = main();

module.exports = { NATIVE, plan };
