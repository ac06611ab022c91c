export * from '../dist/cjs/index.js';

/** The default export is the module itself: `import pp from 'private-process'` is require('private-process'). */
declare const privateProcess: typeof import('../dist/cjs/index.js');
export default privateProcess;
