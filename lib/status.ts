/**
 * status - ProcessStatus, the exit of a reaped child.
 */
import { signalName } from './signals';
import type { StatusTuple } from './native';

// si_code values of waitid(2): the same on every platform we build for.
const CLD_EXITED = 1;
const CLD_DUMPED = 3;

/** ResourceUsage is what the kernel counted for a reaped child. */
export interface ResourceUsage {
  /** userCPUTime is the CPU time spent in user mode, in microseconds. */
  readonly userCPUTime: number;
  /** systemCPUTime is the CPU time spent in the kernel, in microseconds. */
  readonly systemCPUTime: number;
  /**
   * maxRSS is the kernel's peak resident set size of the child, in
   * kibibytes. Linux folds into it, at exec, the peak of the memory the
   * child had before exec: a child started with CLONE_VM (every backend
   * here, as glibc's posix_spawn) shares this process's memory until then,
   * so maxRSS is at least this process's own peak at the spawn
   * (process.resourceUsage().maxRSS); a fork, as child_process makes, counts
   * its copy of the parent. It is the child's own peak only when larger than
   * that; to profile a child, read VmHWM in /proc/<pid>/status while it runs.
   */
  readonly maxRSS: number;
}

/**
 * ProcessStatus is how a child ended: its exit code, or the signal that
 * killed it. A handle gives the same object to every wait.
 */
export class ProcessStatus {
  /** pid is the child's pid, free for reuse by now. */
  readonly pid: number;
  /** exitCode is the code passed to exit(), or null when a signal killed it. */
  readonly exitCode: number | null;
  /** signal is the name of the signal that killed it ('SIGKILL'), or null. */
  readonly signal: NodeJS.Signals | null;
  /** signalNumber is that signal's number, or null. */
  readonly signalNumber: number | null;
  /** coreDumped is true when the killing signal dumped core. */
  readonly coreDumped: boolean;
  /**
   * resourceUsage is the child's CPU time and peak memory, or null when the
   * status was recovered after another reaper took it (the kernel keeps
   * only the exit status then).
   */
  readonly resourceUsage: ResourceUsage | null;

  /** @internal */
  constructor(t: StatusTuple) {
    const [pid, code, status, hasRusage, utime, stime, maxrss] = t;
    this.pid = pid;
    this.exitCode = code === CLD_EXITED ? status : null;
    this.signalNumber = code === CLD_EXITED ? null : status;
    this.signal = code === CLD_EXITED ? null : ((signalName(status) ?? `SIG${status}`) as NodeJS.Signals);
    this.coreDumped = code === CLD_DUMPED;
    this.resourceUsage = hasRusage ? Object.freeze({ userCPUTime: utime, systemCPUTime: stime, maxRSS: maxrss }) : null;
    Object.freeze(this);
  }

  /** exited is true when the child called exit(). */
  get exited(): boolean {
    return this.exitCode !== null;
  }

  /** signaled is true when a signal killed the child. */
  get signaled(): boolean {
    return this.signal !== null;
  }

  /** success is true for exit code 0. */
  get success(): boolean {
    return this.exitCode === 0;
  }

  /** toString gives `pid 1234 exit 0` or `pid 1234 SIGKILL (signal 9)`. */
  toString(): string {
    if (this.exitCode !== null) return `pid ${this.pid} exit ${this.exitCode}`;
    return `pid ${this.pid} ${this.signal} (signal ${this.signalNumber})${this.coreDumped ? ' (core dumped)' : ''}`;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ProcessStatus <${this.toString()}>`;
  }
}
