/**
 * private-process: private child processes for Node.js.
 */
export { spawnPrivate, forkPrivate } from './spawn';
export { waitpid, type WaitpidOptions } from './waitpid';
export { capabilities, type Capabilities, type BackendAvailability } from './capabilities';
export { PrivateHandle, type BackendKind } from './handle';
export { ProcessStatus, type ResourceUsage } from './status';
export type { SpawnPrivateOptions, StdioOption, StdioSlot, BackendName } from './options';
export type { SpawnError, SpawnStep } from './errors';

/** preloadPath is the absolute path of the preload shim; null until it is built. */
export const preloadPath: string | null = null;
