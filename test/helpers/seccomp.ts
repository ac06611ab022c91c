/**
 * Runs a program, usually a Node script, under `seccomp-run`, to emulate Docker's seccomp profile
 * (clone3 → ENOSYS), old kernels (no pidfd calls) and Android (SIGSYS). Plain
 * `child_process.execFile` does the spawning: the library under test is never used here. Do not
 * call it while a thief from `thief.ts` runs in this process: libuv would never see the runner
 * exit.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { helperPaths } from './build.js';

/** SeccompResult is how the program ended and what it printed. */
export interface SeccompResult {
  /** code is the exit status, or null when a signal ended it (SIGSYS for a trap rule). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** SeccompOptions are passed to `execFile`; `env` defaults to `process.env`. */
export interface SeccompOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** timeout, in milliseconds, after which the program gets SIGKILL; none by default. */
  timeout?: number;
}

/**
 * seccompArgs turns rules into seccomp-run arguments: `'NAME=ERRNO'` (e.g. `'clone3=ENOSYS'`,
 * `'ioctl:PIDFD_GET_INFO=ENOTTY'`) becomes `--fail NAME=ERRNO`, and `'NAME=SIGSYS'` becomes
 * `--trap-kill NAME`. It throws a TypeError for a rule without '='.
 */
export function seccompArgs(rules: readonly string[]): string[] {
  return rules.flatMap((rule) => {
    const equals = rule.lastIndexOf('=');
    if (equals <= 0) {
      throw new TypeError(`seccomp rule must be NAME=ERRNO or NAME=SIGSYS, received ${JSON.stringify(rule)}`);
    }
    const action = rule.slice(equals + 1);
    return action === 'SIGSYS' ? ['--trap-kill', rule.slice(0, equals)] : ['--fail', rule];
  });
}

/**
 * runProgramUnderSeccomp runs `seccomp-run <rules> -- file ...args` and resolves once it has
 * exited, whatever its status; it rejects only when the runner itself cannot be spawned or output
 * overflows.
 */
export function runProgramUnderSeccomp(
  rules: readonly string[],
  file: string,
  args: readonly string[] = [],
  options: SeccompOptions = {},
): Promise<SeccompResult> {
  const argv = [...seccompArgs(rules), '--', file, ...args];
  const execOptions = {
    encoding: 'utf8' as const,
    maxBuffer: 64 * 1024 * 1024,
    killSignal: 'SIGKILL' as const,
    ...options,
  };
  return new Promise((resolve, reject) => {
    execFile(helperPaths().seccompRun, argv, execOptions, (error: ExecFileException | null, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number' && error.signal == null) {
        reject(error);
        return;
      }
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
        signal: error?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

/**
 * runUnderSeccomp runs the Node script `script` (with `args`) under the rules, using this `node`.
 */
export function runUnderSeccomp(
  rules: readonly string[],
  script: string,
  args: readonly string[] = [],
  options: SeccompOptions = {},
): Promise<SeccompResult> {
  return runProgramUnderSeccomp(rules, process.execPath, [script, ...args], options);
}

/**
 * kernelProfiles imitate, with seccomp, the kernels users run: what each refuses. The first is this
 * kernel as it is.
 */
export const kernelProfiles: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['this kernel', []],
  [
    'a kernel before 6.15 (no PIDFD_INFO_EXIT: Ubuntu 24.04, Debian 12, RHEL 9)',
    ['ioctl:PIDFD_GET_INFO=ENOTTY', 'madvise:GUARD_INSTALL=EINVAL'],
  ],
  [
    'a kernel without pidfds (RHEL 8’s 4.18)',
    [
      'clone3=ENOSYS',
      'clone:PIDFD=EINVAL',
      'pidfd_open=ENOSYS',
      'pidfd_send_signal=ENOSYS',
      'waitid:P_PIDFD=EINVAL',
      'close_range=ENOSYS',
      'ioctl:PIDFD_GET_INFO=ENOTTY',
      'madvise:GUARD_INSTALL=EINVAL',
    ],
  ],
];
