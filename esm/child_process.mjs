// private-process/child_process as an ES module re-exports the CommonJS
// build, so that both module systems share one addon and one set of classes.
// As in index.mjs, the build is required by the package's name at run time,
// so that an ESM bundle loads the package from where it is installed.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('private-process/child_process');

export const { ChildProcess, spawn, fork, exec, execFile, spawnSync, execFileSync, execSync } = cjs;

// `import cp from 'private-process/child_process'` gives the same object as require().
export default cjs;
