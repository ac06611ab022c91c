/**
 * handle-init - what the package knows of a child when it makes its
 * PrivateHandle (see createHandle).
 */
import type { Readable, Writable } from 'node:stream';
import type { IpcSetting } from './ipc-options';
import type { NativeHandle } from './native';
import type { Isolation } from './options';

/** @internal HandleInit is what the package knows of a child when it makes its handle. */
export interface HandleInit {
  native: NativeHandle;
  pid: number;
  /**
   * fds are the parent's ends of the stdio slots, -1 where a slot is not a
   * pipe; the portable backend gives child_process's streams instead.
   */
  fds: Array<number | Readable | Writable | null>;
  /** streams wraps the fds in Node streams; false leaves them raw, for a synchronous run. */
  streams: boolean;
  file: string;
  argv: readonly string[];
  detached: boolean;
  killSignal: number;
  killGraceMs: number | null;
  isolation: Isolation;
  /** ipc is the IPC channel's slot (-1 for none) and wire format. */
  ipc: IpcSetting;
}
