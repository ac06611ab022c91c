/**
 * ipc-options - the `'ipc'` stdio slot and the `serialization` option: where
 * the channel goes and what the child learns of it from its environment.
 */
import { checkOneOf, ownValue } from './check';
import { withCode } from './errors';
import type { Serialization } from './ipc-wire';

/** IpcSetting is the channel a spawn asks for: its fd in the child (-1: none) and its wire format. */
export interface IpcSetting {
  fd: number;
  serialization: Serialization;
}

const modes: readonly Serialization[] = ['json', 'advanced'];

/**
 * takeIpcSlot finds the one `'ipc'` slot of a stdio array and gives the
 * array with a `'pipe'` (a socket pair) in its place; more than one throws
 * ERR_IPC_ONE_PIPE, as child_process does. A stdio that is not an array
 * has no channel.
 */
export function takeIpcSlot(stdio: unknown, serialization: unknown): { stdio: unknown; ipc: IpcSetting } {
  // Only undefined means the default: null is refused, as child_process refuses it.
  const mode = serialization === undefined ? 'json' : checkOneOf('options.serialization', serialization, modes);
  if (!Array.isArray(stdio)) return { stdio, ipc: { fd: -1, serialization: mode } };
  // Most spawns have no channel: their stdio is taken as it is, without a copy.
  if (!stdio.some((slot, i) => slot === 'ipc' && Object.hasOwn(stdio, i))) {
    return { stdio, ipc: { fd: -1, serialization: mode } };
  }
  let fd = -1;
  const slots = Array.from({ length: stdio.length }, (_, i) => {
    const slot = ownValue(stdio, String(i));
    if (slot !== 'ipc') return slot;
    if (fd >= 0) throw withCode(new Error('Child process can have only one IPC pipe'), 'ERR_IPC_ONE_PIPE');
    fd = i;
    return 'pipe';
  });
  return { stdio: fd < 0 ? stdio : slots, ipc: { fd, serialization: mode } };
}

/**
 * withIpc gives forkPrivate's stdio a channel: a string (or nothing:
 * 'pipe') becomes that for fds 0–2 and 'ipc' on fd 3; an array without
 * 'ipc' gets it appended.
 */
export function withIpc(stdio: unknown): unknown[] {
  if (!Array.isArray(stdio)) {
    const s = stdio ?? 'pipe';
    return [s, s, s, 'ipc'];
  }
  return stdio.includes('ipc') ? stdio : [...stdio, 'ipc'];
}

/**
 * ipcEnv is the environment block with the channel's two variables,
 * NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE, in place of any
 * the caller's env had.
 */
export function ipcEnv(block: string[], ipc: IpcSetting): string[] {
  if (ipc.fd < 0) return block;
  return [
    ...block.filter((e) => !e.startsWith('NODE_CHANNEL_FD=') && !e.startsWith('NODE_CHANNEL_SERIALIZATION_MODE=')),
    `NODE_CHANNEL_FD=${ipc.fd}`,
    `NODE_CHANNEL_SERIALIZATION_MODE=${ipc.serialization}`,
  ];
}
