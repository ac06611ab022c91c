/**
 * private-process: private child processes for Node.js.
 */
export { spawnPrivate, forkPrivate } from './spawn';
export { runPrivate } from './run';
export { runPrivateSync } from './run-sync';
export { isRunError, RunError } from './run-result';
export type {
  RunPrivateOptions,
  RunPrivateSyncOptions,
  RunResult,
  RunInput,
  RunOutput,
  RunSignatures,
  PrivateSubprocess,
} from './run-options';
export { waitpid, type WaitpidOptions } from './waitpid';
export { adopt, type AdoptOptions } from './adopt';
export { capabilities, type Capabilities, type BackendAvailability } from './capabilities';
export { PrivateHandle, type BackendKind } from './handle';
export type { PrivateHandleFor, PrivateHandleWithoutNullStreams } from './handle-types';
export type { KillOptions } from './kill-options';
export { ProcessStatus, type ResourceUsage } from './status';
export type { SpawnPrivateOptions, StdioOption, StdioSlot, BackendName, BackendKey, Isolation } from './options';
export type { CapabilityName, Rlimits, RlimitName, RlimitValue } from './privs';
export { isSpawnError, SpawnError, PrivateProcessError, type SpawnStep } from './errors';

/**
 * preloadPath is the absolute path of the preload shim, to put in
 * LD_PRELOAD (DYLD_INSERT_LIBRARIES on macOS) when starting a program whose
 * native code may call waitpid(-1); null where it is not built.
 */
export { shimPath as preloadPath } from './native';
