// The ESM entry point re-exports the CommonJS build, so that both module
// systems share one addon, one table of private children and one set of
// classes.
//
// It requires the build by the package's name, at run time: here that is the
// package itself (its "exports" give require() the CommonJS build). A bundler
// leaves the call alone, so that an ESM bundle loads the package, with its
// addon, from where it is installed, and fails at start-up with
// MODULE_NOT_FOUND where it is not; bundled, the CommonJS build would have
// failed on its first require() of a Node module, and lost the addon.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('private-process');

export const {
  spawnPrivate,
  forkPrivate,
  runPrivate,
  runPrivateSync,
  isRunError,
  isSpawnError,
  RunError,
  SpawnError,
  PrivateProcessError,
  waitpid,
  adopt,
  capabilities,
  PrivateHandle,
  ProcessStatus,
  preloadPath,
} = cjs;

// `import pp from 'private-process'` gives the same object as require().
export default cjs;
