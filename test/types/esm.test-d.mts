/**
 * Type tests of the ESM entry point, resolved through the package's own
 * "exports" (esm/index.d.mts), as an ESM user imports it.
 */
import { PrivateProcessError, RunError, runPrivate, SpawnError, spawnPrivate, type RunResult } from 'private-process';

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

// The error classes are values of the ESM entry point too, and instanceof narrows with them.
const failure: unknown = await runPrivate('false').catch((err: unknown) => err);
if (failure instanceof RunError) {
  const code: number | null = failure.exitCode;
  void code;
}
if (failure instanceof SpawnError || failure instanceof PrivateProcessError) {
  const code: string = failure.code;
  void code;
}
