// The ESM entry point re-exports the CommonJS build, so that both module
// systems share one addon, one table of private children and one set of
// classes.
import cjs from '../dist/cjs/index.js';

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
