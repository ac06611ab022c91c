/**
 * unsupported - the options of child_process and execa that this package
 * does not take, refused with what to do instead.
 *
 * An option that is silently ignored does harm: `shell: true` would run
 * `echo $HOME` without expanding it, `input` on spawnPrivate would never
 * reach the child. Each entry names the functions it is refused by (`spawn`:
 * spawnPrivate and forkPrivate, `run`: runPrivate, `sync`: runPrivateSync)
 * and the advice of its message. A value that asks for nothing (`false`,
 * `null`, `undefined`) is let through, so that portable option objects
 * still work.
 */
import { invalidArgValue } from './errors';

/** Api names the family of functions an options object is checked for. */
export type Api = 'spawn' | 'run' | 'sync';

const all: readonly Api[] = ['spawn', 'run', 'sync'];
const spawnOnly: readonly Api[] = ['spawn'];

const toNode =
  'forkPrivate runs process.execPath with process.execArgv; for others, call spawnPrivate(nodePath, [...flags, modulePath, ...args])';
const noIpc = "a run has no IPC channel: use spawnPrivate with an 'ipc' stdio slot, or forkPrivate";
const windows = 'it is for Windows, where this package does not run: leave it out';

const table: Record<string, { apis: readonly Api[]; advice: string }> = {
  windowsHide: { apis: all, advice: windows },
  windowsVerbatimArguments: { apis: all, advice: windows },
  serialization: { apis: ['run', 'sync'], advice: noIpc },
  ipc: { apis: all, advice: noIpc },
  ipcInput: { apis: all, advice: noIpc },
  silent: { apis: all, advice: "use stdio: 'pipe' or 'ignore'" },
  execPath: { apis: all, advice: toNode },
  execArgv: { apis: all, advice: toNode },
  node: { apis: all, advice: toNode },
  nodePath: { apis: all, advice: toNode },
  nodeOptions: { apis: all, advice: toNode },
  stdin: { apis: all, advice: 'use stdio: [stdin, stdout, stderr]' },
  stdout: { apis: all, advice: 'use stdio: [stdin, stdout, stderr]' },
  stderr: { apis: all, advice: 'use stdio: [stdin, stdout, stderr]' },
  cancelSignal: { apis: all, advice: 'use signal, an AbortSignal' },
  forceKillAfterDelay: { apis: all, advice: 'use killGraceMs, in milliseconds' },
  gracefulCancel: { apis: all, advice: 'use signal, and let the child handle killSignal' },
  extendEnv: {
    apis: all,
    advice: 'env replaces process.env: pass env: { ...process.env, ...yours } to extend it',
  },
  cleanup: { apis: all, advice: 'use dieWithParent: true' },
  verbose: { apis: all, advice: 'log the command yourself; every run error carries `command`' },
  localDir: { apis: all, advice: 'preferLocal searches node_modules/.bin from cwd upwards' },
  inputFile: { apis: all, advice: 'pass input: fs.createReadStream(path) (fs.readFileSync(path) to runPrivateSync)' },
  buffer: { apis: all, advice: 'runPrivate always collects output (up to maxBuffer); spawnPrivate gives streams' },
  encoding: {
    apis: spawnOnly,
    advice: "a handle's streams give Buffers: call stream.setEncoding(), or use runPrivate, which decodes",
  },
  input: { apis: spawnOnly, advice: 'write it to handle.stdin and end it, or use runPrivate, which takes input' },
  maxBuffer: { apis: spawnOnly, advice: 'a handle keeps nothing: use runPrivate, which takes maxBuffer' },
  reject: { apis: spawnOnly, advice: 'wait() resolves with the status: use runPrivate, which takes reject' },
  stripFinalNewline: { apis: spawnOnly, advice: 'use runPrivate, which takes stripFinalNewline' },
  lines: { apis: spawnOnly, advice: 'use runPrivate, which takes lines' },
  all: { apis: spawnOnly, advice: 'use runPrivate, which takes all' },
  signal: {
    apis: ['sync'],
    advice: 'a synchronous run blocks the thread, so no abort can reach it: use timeout, or runPrivate',
  },
};

/** unsupportedNames are the names refuseUnsupported knows, which refuseUnknown then lets through. */
export const unsupportedNames: readonly string[] = Object.keys(table);

/**
 * refuseUnsupported throws ERR_INVALID_ARG_VALUE for the first option in
 * `options` that `api` does not support, saying what to do instead.
 */
export function refuseUnsupported(options: Record<string, unknown>, api: Api): void {
  for (const name of Object.keys(options)) {
    const entry = Object.hasOwn(table, name) ? table[name] : undefined;
    const value = options[name];
    if (entry === undefined || !entry.apis.includes(api) || value === undefined || value === null || value === false)
      continue;
    throw invalidArgValue(`options.${name}`, value, `is not supported: ${entry.advice}`);
  }
}
