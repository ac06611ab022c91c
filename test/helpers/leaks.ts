/**
 * Leak probes for `afterEach` checks: this process's open descriptors and its child processes, read
 * from /proc (Linux only).
 */
import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** ProcStat is the part of /proc/<pid>/stat the leak checks use. */
export interface ProcStat {
  pid: number;
  /** comm is the command name, which may itself contain spaces and parentheses. */
  comm: string;
  /** state is one letter: R running, S sleeping, Z zombie, ... (proc(5)). */
  state: string;
  ppid: number;
}

/**
 * parseProcStat parses the text of /proc/<pid>/stat. The command name sits between the first '('
 * and the LAST ')', since it may contain both; the fields after it are split on spaces.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    throw new Error(`malformed /proc/<pid>/stat: ${JSON.stringify(text)}`);
  }
  const fields = text.slice(close + 2).split(' ');
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '',
    ppid: Number(fields[1]),
  };
}

/** readProcStat reads one process's stat, or returns null if it has gone meanwhile. */
function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') {
      return null;
    }
    throw error;
  }
}

/**
 * openFds lists this process's open descriptors in ascending order. The descriptor that listing
 * /proc/self/fd itself used is closed again by the time the list is read, so every entry that no
 * longer resolves is dropped (a descriptor another thread closes at that very moment goes too).
 */
export function openFds(): number[] {
  const fds: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      readlinkSync(`/proc/self/fd/${name}`);
      fds.push(Number(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
  }
  return fds.sort((a, b) => a - b);
}

/** children lists this process's children whose stat passes `keep`, in ascending pid order. */
function children(keep: (stat: ProcStat) => boolean): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const stat = readProcStat(Number(name));
    if (stat !== null && stat.ppid === process.pid && keep(stat)) {
      pids.push(stat.pid);
    }
  }
  return pids.sort((a, b) => a - b);
}

/** zombieChildren lists this process's children that have exited but were not reaped (state Z). */
export function zombieChildren(): number[] {
  return children((stat) => stat.state === 'Z');
}

/** liveChildren lists all of this process's children, whatever their state, zombies included. */
export function liveChildren(): number[] {
  return children(() => true);
}

/**
 * forgetSharedDevNull plays a host that closes descriptors it does not own: it closes the /dev/null
 * descriptor the addon keeps for 'ignore' slots (the one open read-write and close-on-exec), so that
 * the next such spawn opens /dev/null again. Returns whether there was one.
 */
export function forgetSharedDevNull(): boolean {
  for (const fd of openFds()) {
    let flags: number;
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== '/dev/null') continue;
      flags = parseInt(/^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    } catch {
      continue;
    }
    // O_ACCMODE 03 is O_RDWR (2); O_CLOEXEC is 02000000.
    if ((flags & 3) === 2 && (flags & 0o2000000) !== 0) {
      closeSync(fd);
      return true;
    }
  }
  return false;
}

/** devNullFds lists this process's descriptors open on /dev/null. */
export function devNullFds(): number[] {
  return openFds().filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === '/dev/null';
    } catch {
      return false;
    }
  });
}
