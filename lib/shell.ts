/**
 * shell - the `shell` option: the command line run by a shell, as
 * child_process runs it.
 */
import { invalidArgType, invalidArgValue } from './errors';

/** The shell that `shell: true` runs. */
const DEFAULT_SHELL = '/bin/sh';

/**
 * withShell gives the file and args to start for `shell`: unchanged when it
 * is undefined, null or false; else the shell (`/bin/sh` for true, or the
 * path given) with `-c` and the command line, which is `file` and `args`
 * joined with spaces, as child_process joins them: nothing is quoted, so
 * the shell expands what they contain.
 */
export function withShell(file: string, args: string[], shell: unknown): [string, string[]] {
  if (shell === undefined || shell === null || shell === false) return [file, args];
  if (typeof shell !== 'boolean' && typeof shell !== 'string') {
    throw invalidArgType('options.shell', 'boolean or string', shell);
  }
  if (typeof shell === 'string' && (shell.length === 0 || shell.includes('\0'))) {
    throw invalidArgValue('options.shell', shell, 'must be a non-empty string without null bytes');
  }
  const command = [file, ...args].join(' ');
  return [typeof shell === 'string' ? shell : DEFAULT_SHELL, ['-c', command]];
}
