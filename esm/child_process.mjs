// private-process/child_process as an ES module re-exports the CommonJS
// build, so that both module systems share one addon and one set of classes.
import cjs from '../dist/cjs/child_process.js';

export const { ChildProcess, spawn, fork, exec, execFile, spawnSync, execFileSync, execSync } = cjs;

// `import cp from 'private-process/child_process'` gives the same object as require().
export default cjs;
