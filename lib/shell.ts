/**
 * shell - the `shell` option: the command line run by a shell, as
 * child_process runs it. The form of the shell's command is the backend's
 * (see Native.shellForm): `/bin/sh -c` for the native backends, cmd.exe's
 * for the portable backend on Windows.
 */
import { invalidArgType, invalidArgValue } from './errors';

/**
 * ShellCommand is what a spawn starts for a command line: the shell, its
 * arguments, and whether they reach Windows as they are (child_process's
 * windowsVerbatimArguments), unquoted.
 */
export interface ShellCommand {
  file: string;
  args: string[];
  verbatim: boolean;
}

/** ShellForm gives the ShellCommand that runs `command` in `shell` (true: the platform's shell). */
export type ShellForm = (shell: string | true, command: string) => ShellCommand;

/** posixShellForm runs `shell -c command`, `/bin/sh` for true: the form of every POSIX platform. */
export const posixShellForm: ShellForm = (shell, command) => ({
  file: shell === true ? '/bin/sh' : shell,
  args: ['-c', command],
  verbatim: false,
});

/**
 * withShell gives what to start for `shell`: `file` and `args` unchanged
 * when it is undefined, null or false; else the backend's `form` of the
 * shell (true, or the path given) running the command line, which is `file`
 * and `args` joined with spaces, as child_process joins them: nothing is
 * quoted, so the shell expands what they contain.
 */
export function withShell(file: string, args: string[], shell: unknown, form: ShellForm): ShellCommand {
  if (shell === undefined || shell === null || shell === false) return { file, args, verbatim: false };
  if (typeof shell !== 'boolean' && typeof shell !== 'string') {
    throw invalidArgType('options.shell', 'boolean or string', shell);
  }
  if (typeof shell === 'string' && (shell.length === 0 || shell.includes('\0'))) {
    throw invalidArgValue('options.shell', shell, 'must be a non-empty string without null bytes');
  }
  return form(typeof shell === 'string' ? shell : true, [file, ...args].join(' '));
}
