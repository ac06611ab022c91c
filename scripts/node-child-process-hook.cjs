'use strict';
// Preloaded (--require) by scripts/node-child-process-tests.mjs into every
// process of a Node test: each `require('child_process')` or
// `require('node:child_process')` outside this package gets
// private-process/child_process instead, and an ES module's import of it too
// (through a resolve hook). The package's own uses of child_process (the
// portable backend) keep Node's.
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const compat = path.join(root, 'dist', 'cjs', 'child_process.js');
const names = new Set(['child_process', 'node:child_process']);
const load = Module._load;

Module._load = function loadRedirected(request, parent, isMain) {
  const fromPackage = parent && typeof parent.filename === 'string' && parent.filename.startsWith(root + path.sep);
  if (names.has(request) && !fromPackage) return load.call(this, compat, parent, isMain);
  return load.call(this, request, parent, isMain);
};

if (typeof Module.register === 'function') {
  const hook = `
    const target = ${JSON.stringify(pathToFileURL(path.join(root, 'esm', 'child_process.mjs')).href)};
    const root = ${JSON.stringify(pathToFileURL(root + path.sep).href)};
    export async function resolve(specifier, context, next) {
      const inside = context.parentURL && context.parentURL.startsWith(root);
      if ((specifier === 'child_process' || specifier === 'node:child_process') && !inside) {
        return { url: target, shortCircuit: true };
      }
      return next(specifier, context);
    }`;
  Module.register(`data:text/javascript,${encodeURIComponent(hook)}`);
}
