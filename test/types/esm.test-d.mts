/**
 * Type tests of the ESM entry point, resolved through the package's own
 * "exports" (esm/index.d.mts), as an ESM user imports it.
 */
import { runPrivate, spawnPrivate, type RunResult } from 'private-process';

const result: RunResult<Buffer> = await runPrivate('ls', [], { encoding: 'buffer' });
result.stdout.readUInt8(0);
// @ts-expect-error: Buffers for 'buffer', not strings
const text: RunResult<string> = await runPrivate('ls', [], { encoding: 'buffer' });
void text;
// @ts-expect-error: killSignal must be a signal name or number
spawnPrivate('ls', [], { killSignal: 'TERM' });

// The default import is the whole module, as require() gives it.
import pp from 'private-process';
const handle = pp.spawnPrivate('ls', [], { stdio: 'ignore' });
const nothing: null = handle.stdout;
void nothing;
const sync: string = pp.runPrivateSync('ls').stdout;
void sync;
