/**
 * adopt - a PrivateHandle for a child this process started some other way.
 */
import { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { backendReport } from './capabilities';
import { checkOptions, optionNames, refuseUnknown } from './check';
import { invalidArgType, invalidArgValue, notSupported, systemError } from './errors';
import { createHandle, reapedByChildProcess, settle, type PrivateHandle } from './handle';
import { native, type StatusTuple } from './native';
import { checkBackend, type BackendName } from './options';
import { toSignal } from './signals';

// si_code values of waitid(2), as ProcessStatus reads them.
const CLD_EXITED = 1;
const CLD_KILLED = 2;

/** AdoptOptions are the options of adopt. */
export interface AdoptOptions {
  /**
   * backend picks the implementation, as for spawnPrivate (default 'auto',
   * or the environment variable PRIVATE_PROCESS_BACKEND).
   */
  backend?: BackendName;
}

const known = optionNames<AdoptOptions>('adopt', { backend: true });

function adoptError(pid: number, errno: number, backend: BackendName): Error {
  const e = constants.errno;
  if (errno === -e.ENOSYS || errno === -e.ENOTSUP || errno === -e.EOPNOTSUPP) {
    const report = backendReport(backend);
    const linux = backendReport('linux');
    const why = linux === null ? 'no pidfd backend is compiled in' : (linux.reason ?? 'pidfds are not used');
    const reason = report?.available
      ? `the ${report.key} backend has no process descriptor to adopt a child with (${why})`
      : (report?.reason ?? 'no backend can run here');
    return notSupported('adopt()', reason);
  }
  if (errno === -e.EEXIST) return invalidArgValue('pid', pid, 'is already a private child');
  return systemError('adopt', errno, {
    message: `adopt ${pid}: ${errno === -e.ECHILD ? 'not an unreaped child of this process' : 'no such process'}`,
    pid,
  });
}

/**
 * adopt turns an existing child of this process — a pid, or a ChildProcess
 * — into a PrivateHandle, through a pidfd: from then on its kill() can never
 * reach another process that reused the pid, and the package's waitpid()
 * treats it as private. A pid is reaped through the handle, like a spawned
 * child. A ChildProcess stays child_process's to reap: wait() resolves when
 * it emits 'exit' (without resource usage) and waitSync() throws.
 * It throws ECHILD for a pid that is not an unreaped child of this process,
 * and ERR_NOT_SUPPORTED, with the reason, where the backend has no process
 * descriptors (pidfd_open needs Linux 5.3). Options that are not an object
 * (null is {}) or an unknown backend throw ERR_INVALID_ARG_TYPE or
 * ERR_INVALID_ARG_VALUE before anything is adopted.
 */
export function adopt(pidOrChild: number | ChildProcess, options?: AdoptOptions): PrivateHandle {
  const o = checkOptions(options);
  refuseUnknown(o, known);
  const backend = checkBackend(o.backend);
  const child = pidOrChild instanceof ChildProcess ? pidOrChild : null;
  const pid = child !== null ? child.pid : pidOrChild;
  if (typeof pid !== 'number') {
    if (child !== null) throw invalidArgValue('child', 'ChildProcess', 'was never started (it has no pid)');
    throw invalidArgType('pidOrChild', 'number or ChildProcess', pidOrChild);
  }
  if (!Number.isInteger(pid) || pid <= 0) throw invalidArgValue('pid', pid, 'must be a positive integer');
  if (child !== null && (child.exitCode !== null || child.signalCode !== null)) {
    throw adoptError(pid, -constants.errno.ESRCH, backend);
  }
  let handle: PrivateHandle | undefined;
  const r = native.adopt(backend, pid, child === null, (result) => settle(handle!, result));
  if (typeof r === 'number') throw adoptError(pid, r, backend);
  const [nativeHandle] = r;
  const file = child?.spawnfile ?? '';
  handle = createHandle({
    native: nativeHandle,
    pid,
    fds: [-1, -1, -1],
    streams: true,
    file,
    argv: child?.spawnargs ?? [],
    detached: false,
    killSignal: toSignal('SIGTERM'),
    killGraceMs: null,
    isolation: 'direct',
    ipc: { fd: -1, serialization: 'json' },
  });
  if (child !== null) {
    const h = handle;
    reapedByChildProcess(h);
    child.once('exit', (code, signal) => {
      native.release(nativeHandle);
      const tuple: StatusTuple =
        code !== null
          ? [pid, CLD_EXITED, code, 0, 0, 0, 0]
          : [pid, CLD_KILLED, toSignal(signal ?? 'SIGKILL'), 0, 0, 0, 0];
      settle(h, tuple);
    });
  }
  return handle;
}
