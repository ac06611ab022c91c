export * from '../dist/cjs/child_process.js';

/** The default export is the module itself, as `import cp from 'node:child_process'` is. */
declare const childProcess: typeof import('../dist/cjs/child_process.js');
export default childProcess;
