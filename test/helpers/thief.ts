/**
 * Loads the thief addon (`test/helpers/native/thief.c`), the hostile foreign reaper the conformance
 * suite turns against private children, and exports it typed.
 *
 * While either thief runs, `child_process` children of the same process never report their exit
 * (libuv only reaps its own pids and finds them gone), and `spawnSync`/`execFileSync` hang forever:
 * start helper processes before a thief starts, or after it stops.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { helperPaths } from './build.js';

/** Reaped is one child reaped by a thief or by `rawWaitpid`: its pid and raw wait status. */
export interface Reaped {
  pid: number;
  /** status is the raw `int` from waitpid(2); decode it with `decodeWaitStatus`. */
  status: number;
}

/** Thief is the typed surface of the addon. */
export interface Thief {
  /** startThreadThief starts a pthread looping on a blocking `waitpid(-1)`; throws if one runs. */
  startThreadThief(): void;
  /** stopThreadThief stops and joins the thread thief (waking it with a throwaway child). */
  stopThreadThief(): void;
  /**
   * installSigchldThief installs a raw SIGCHLD handler that reaps with `waitpid(-1, WNOHANG)` and
   * then chains to the previous handler. This wrapper first adds a `process.on('SIGCHLD')`
   * listener, which keeps libuv's handler registered so that libuv does not replace the thief when
   * its own SIGCHLD watcher starts or stops. Throws if already installed.
   */
  installSigchldThief(): void;
  /**
   * uninstallSigchldThief restores the replaced handler if the thief's is still in force; says so.
   */
  uninstallSigchldThief(): boolean;
  /** isSigchldThiefInstalled tells whether the thief's handler is the SIGCHLD action right now. */
  isSigchldThiefInstalled(): boolean;
  /** takeStolen returns every child either thief reaped since the last call, oldest first. */
  takeStolen(): Reaped[];
  /**
   * takeSignalPids returns the pid each SIGCHLD named to the SIGCHLD thief (si_pid) since the last
   * call: who woke the host's handler. The kernel merges signals that arrive together.
   */
  takeSignalPids(): number[];
  /**
   * ignoreSigchld(true) sets SIGCHLD to SIG_IGN, as some hosts do: the kernel then reaps every child
   * at its exit and keeps no status. ignoreSigchld(false) puts back what it replaced.
   */
  ignoreSigchld(on: boolean): void;
  /** sigchldDisposition tells what SIGCHLD's action is now: 'default', 'ignore' or 'handler'. */
  sigchldDisposition(): 'default' | 'ignore' | 'handler';
  /** stolenDropped counts reaped children that did not fit in the log (capacity 2^20 per drain). */
  stolenDropped(): number;
  /**
   * openLeakyFd opens /dev/null without O_CLOEXEC, as careless native code does; returns the fd.
   */
  openLeakyFd(): number;
  /** closeFd closes a descriptor; throws a Node-shaped error (`code: 'EBADF'`) on failure. */
  closeFd(fd: number): void;
  /**
   * rawWaitpid is libc `waitpid(pid, &status, nohang ? WNOHANG : 0)`, retried on EINTR: the reaped
   * child, `null` when WNOHANG found nothing, or a thrown Error with `code` (e.g. 'ECHILD'),
   * `errno` (negative) and `syscall: 'waitpid'`. Blocking waits block the JS thread.
   */
  rawWaitpid(pid: number, nohang?: boolean): Reaped | null;
  /**
   * rawKill is plain kill(2): 0 on success, else -errno (e.g. -3 for ESRCH); never throws for it.
   */
  rawKill(pid: number, signal: number): number;
}

/** WaitStatus is a raw wait status decoded as the W* macros of <sys/wait.h> do. */
export interface WaitStatus {
  exitCode: number | null;
  signal: number | null;
  coreDumped: boolean;
}

/** decodeWaitStatus decodes a raw status from `Reaped` (exited, or killed by a signal). */
export function decodeWaitStatus(status: number): WaitStatus {
  const termsig = status & 0x7f;
  if (termsig === 0) {
    return { exitCode: (status >> 8) & 0xff, signal: null, coreDumped: false };
  }
  return { exitCode: null, signal: termsig, coreDumped: (status & 0x80) !== 0 };
}

/** loadThief loads the compiled addon from `file` (default: where `buildHelpers()` puts it). */
export function loadThief(file: string = helperPaths().thief): Thief {
  if (!existsSync(file)) {
    throw new Error(`thief addon not built at ${file}; run buildHelpers() from test/helpers/build.ts`);
  }
  const native = createRequire(import.meta.url)(file) as Thief;
  const pin = (): void => {};
  return {
    ...native,
    installSigchldThief(): void {
      process.on('SIGCHLD', pin);
      try {
        native.installSigchldThief();
      } catch (error) {
        process.off('SIGCHLD', pin);
        throw error;
      }
    },
    uninstallSigchldThief(): boolean {
      const restored = native.uninstallSigchldThief();
      process.off('SIGCHLD', pin);
      return restored;
    },
  };
}

/** thief is the addon loaded from the default build location when this module is first imported. */
export const thief: Thief = loadThief();
