/**
 * Compiles the native test helpers (the thief addon, seccomp-run and the C fixtures) into
 * `build/test-helpers/`. Vitest's global setup calls `buildHelpers()` once per run; scripts can
 * call it too, or only compute the paths with `helperPaths()`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** HelperPaths holds the absolute path of every compiled test helper. */
export interface HelperPaths {
  /** thief is the Node-API addon of hostile reapers; load it through `test/helpers/thief.ts`. */
  thief: string;
  /** host is the Node-API addon that changes its process's attributes (`test/helpers/native/host.c`). */
  host: string;
  /** inspect prints its signal masks and open descriptors as JSON (`test/fixtures/inspect.c`). */
  inspect: string;
  /** seccompRun runs a program under a seccomp filter (`test/helpers/native/seccomp-run.c`). */
  seccompRun: string;
  /**
   * syscallProbe prints how each pidfd-era system call answers (`test/fixtures/syscall-probe.c`).
   */
  syscallProbe: string;
  /** backendTable checks every compiled-in backend's table (`test/unit/backend-table.c`). */
  backendTable: string;
  /** nativeUnits runs unit checks of the native code without Node (`test/unit/native-units.c`). */
  nativeUnits: string;
  /**
   * tableCopies are the table code as shared objects, as copies of the addon carry it
   * (`test/unit/table-copy.c`): two of this version, and one of another table version.
   */
  tableCopies: [string, string, string];
  /**
   * freebsdEmulated is a directory holding `build/Release/private_process.node`: the addon with the
   * FreeBSD backend's real sources built against the Linux emulation of process descriptors
   * (`test/emulation/freebsd/`). Point `PRIVATE_PROCESS_PREBUILD` at it to load that addon.
   */
  freebsdEmulated: string;
  /**
   * echo prints its argv, environment and working directory, NUL-separated, for the byte-exact
   * property tests (`test/fixtures/echo.c`, linked statically).
   */
  echo: string;
  /** limits is the Node-API addon that reads and sets resource limits (`test/helpers/native/limits.c`). */
  limits: string;
  /**
   * sniper kills a hidden spawn's intermediate while its child has not exec'd yet
   * (`test/helpers/native/sniper.c`).
   */
  sniper: string;
  /**
   * forker is the Node-API addon that forks from a thread of its own, with a copy of the table code
   * (`test/helpers/native/forker.c`).
   */
  forker: string;
  /**
   * earlyReaper is a library to preload beside the shim whose constructor's thread waits before the
   * shim's constructor has run (`test/helpers/native/early-reaper.c`).
   */
  earlyReaper: string;
  /**
   * noProcChildren is a library to preload that makes `/proc/PID/task/TID/children` missing, as
   * without CONFIG_PROC_CHILDREN (`test/helpers/native/no-proc-children.c`).
   */
  noProcChildren: string;
  /**
   * perfOpen opens a system-wide software perf event and prints "opened" or the errno's name
   * (`test/fixtures/perf-open.c`).
   */
  perfOpen: string;
  /** tracer prints the wait status words of a ptrace tracer and a job control shell (`test/fixtures/tracer.c`). */
  tracer: string;
  /** outDir is the directory all helpers are built into, `<repo>/build/test-helpers`. */
  outDir: string;
}

declare module 'vitest' {
  /** ProvidedContext.helpers is what `inject('helpers')` returns in a test. */
  export interface ProvidedContext {
    helpers: HelperPaths;
  }
}

/**
 * One compiler invocation: a C source, the file it produces and the flags beyond the common ones.
 */
interface Target {
  source: string;
  output: string;
  /**
   * flags is computed only when the target is compiled, so an up-to-date addon needs no headers.
   */
  flags: () => string[];
  /** more are further sources compiled into the same program. */
  more?: string[];
}

/** The addon's C sources without its Node-API glue: every backend, the table and the host's waits. */
function backendSources(source: (relative: string) => string): string[] {
  return [
    ...['registry', 'table', 'status', 'host_wait', 'slots', 'orphans', 'fds'].map((f) =>
      source(`native/common/${f}.c`),
    ),
    ...[
      'backend',
      'child',
      'clone',
      'hidden',
      'host_sys',
      'intermediate',
      'lock',
      'pin',
      'privs',
      'probe',
      'spawn',
      'stack',
      'wait',
    ].map((f) => source(`native/linux/${f}.c`)),
    ...['backend', 'spawn', 'wait', 'ident_linux', 'notify_sigchld'].map((f) => source(`native/fallback/${f}.c`)),
  ];
}

const COMMON_FLAGS = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread'];

/** repoRoot is the repository root, two levels above this file. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** helperPaths computes where `buildHelpers()` puts each helper, without building anything. */
export function helperPaths(): HelperPaths {
  const outDir = path.join(repoRoot, 'build', 'test-helpers');
  return {
    thief: path.join(outDir, 'thief.node'),
    host: path.join(outDir, 'host.node'),
    inspect: path.join(outDir, 'inspect'),
    seccompRun: path.join(outDir, 'seccomp-run'),
    syscallProbe: path.join(outDir, 'syscall-probe'),
    backendTable: path.join(outDir, 'backend-table'),
    nativeUnits: path.join(outDir, 'native-units'),
    tableCopies: ['a', 'b', 'other'].map((n) => path.join(outDir, `table-copy-${n}.so`)) as [string, string, string],
    freebsdEmulated: path.join(outDir, 'freebsd-emulated'),
    echo: path.join(outDir, 'echo'),
    limits: path.join(outDir, 'limits.node'),
    sniper: path.join(outDir, 'sniper'),
    forker: path.join(outDir, 'forker.node'),
    earlyReaper: path.join(outDir, 'early-reaper.so'),
    noProcChildren: path.join(outDir, 'no-proc-children.so'),
    tracer: path.join(outDir, 'tracer'),
    perfOpen: path.join(outDir, 'perf-open'),
    outDir,
  };
}

/**
 * nodeIncludeDir finds the directory holding `node_api.h`: first the one installed beside the
 * running `node`, then node-gyp's header cache. It throws, listing every place it looked, when
 * neither has it.
 */
export function nodeIncludeDir(): string {
  const cacheRoots = [process.env.XDG_CACHE_HOME, path.join(homedir(), '.cache')].filter(
    (dir): dir is string => dir !== undefined && dir !== '',
  );
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    ...cacheRoots.map((root) => path.join(root, 'node-gyp', process.versions.node, 'include', 'node')),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
  if (found === undefined) {
    throw new Error(
      `node_api.h not found; looked in ${candidates.join(', ')}. ` +
        'Install Node headers (for example `npx node-gyp install`).',
    );
  }
  return found;
}

/** targetsOf lists what to compile for the given paths. */
function targetsOf(paths: HelperPaths): Target[] {
  const source = (relative: string) => path.join(repoRoot, relative);
  return [
    {
      source: source('test/helpers/native/thief.c'),
      output: paths.thief,
      flags: () => ['-shared', '-fPIC', `-I${nodeIncludeDir()}`],
    },
    {
      source: source('test/helpers/native/host.c'),
      output: paths.host,
      flags: () => ['-std=gnu11', '-shared', '-fPIC', `-I${nodeIncludeDir()}`],
    },
    {
      source: source('test/helpers/native/seccomp-run.c'),
      output: paths.seccompRun,
      flags: () => [],
    },
    { source: source('test/fixtures/inspect.c'), output: paths.inspect, flags: () => [] },
    {
      source: source('test/fixtures/syscall-probe.c'),
      output: paths.syscallProbe,
      flags: () => [],
    },
    { source: source('test/fixtures/echo.c'), output: paths.echo, flags: () => ['-static'] },
    {
      source: source('test/helpers/native/limits.c'),
      output: paths.limits,
      flags: () => ['-shared', '-fPIC', `-I${nodeIncludeDir()}`],
    },
    { source: source('test/helpers/native/sniper.c'), output: paths.sniper, flags: () => [] },
    {
      // A copy of the table code, as every copy of the addon carries it.
      source: source('test/helpers/native/forker.c'),
      output: paths.forker,
      flags: () => ['-std=gnu11', '-shared', '-fPIC', '-fvisibility=hidden', `-I${nodeIncludeDir()}`, '-ldl'],
      more: [source('native/common/table.c')],
    },
    {
      source: source('test/helpers/native/early-reaper.c'),
      output: paths.earlyReaper,
      flags: () => ['-std=gnu11', '-shared', '-fPIC'],
    },
    {
      source: source('test/helpers/native/no-proc-children.c'),
      output: paths.noProcChildren,
      flags: () => ['-std=gnu11', '-shared', '-fPIC'],
    },
    { source: source('test/fixtures/tracer.c'), output: paths.tracer, flags: () => ['-std=gnu11'] },
    { source: source('test/fixtures/perf-open.c'), output: paths.perfOpen, flags: () => [] },
    {
      // The addon's backends without Node-API: the registry and every Linux file.
      source: source('test/unit/backend-table.c'),
      output: paths.backendTable,
      flags: () => ['-std=gnu11', '-DPP_HAVE_LINUX=1', '-ldl'],
      more: backendSources(source),
    },
    ...paths.tableCopies.map((output, i) => ({
      source: source('test/unit/table-copy.c'),
      output,
      flags: () => [
        '-std=gnu11',
        '-shared',
        '-fPIC',
        '-fvisibility=hidden',
        ...(i === 2 ? ['-DPP_TABLE_ABI=999'] : []),
      ],
      more: [source('native/common/table.c')],
    })),
    {
      source: source('test/unit/native-units.c'),
      output: paths.nativeUnits,
      flags: () => ['-std=gnu11', '-DPP_HAVE_LINUX=1', '-ldl'],
      more: backendSources(source),
    },
    {
      // The addon with the FreeBSD backend instead of the Linux one, over the emulation.
      source: source('test/emulation/freebsd/backend.c'),
      output: path.join(paths.freebsdEmulated, 'build', 'Release', 'private_process.node'),
      flags: () => [
        '-std=gnu11',
        '-shared',
        '-fPIC',
        '-fvisibility=hidden',
        '-DPP_HAVE_FREEBSD=1',
        '-DNAPI_VERSION=8',
        '-DNODE_GYP_MODULE_NAME=private_process',
        `-I${nodeIncludeDir()}`,
        `-I${source('test/emulation/freebsd/include')}`,
        '-ldl',
      ],
      more: [
        source('test/emulation/freebsd/emulation.c'),
        // Everything binding.gyp builds on every system, and the Linux system layer under it.
        ...gypBaseSources().map(source),
        ...['native/common/fds.c', 'native/linux/host_sys.c', 'native/fallback/ident_linux.c'].map(source),
        // The fallback as on FreeBSD and macOS: exits watched through the emulated kqueue.
        source('test/emulation/freebsd/notify.c'),
      ],
    },
  ];
}

/** gypBaseSources lists the addon's sources that binding.gyp compiles on every system. */
function gypBaseSources(): string[] {
  const text = readFileSync(path.join(repoRoot, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  const targets = JSON.parse(text).targets as Array<{ target_name: string; sources: string[] }>;
  return targets.find((t) => t.target_name === 'private_process')!.sources;
}

/** The native headers every C target may include, and the FreeBSD emulation's sources. */
function nativeHeaders(): string[] {
  const dirs = ['native/common', 'native/linux', 'native/fallback', 'native/freebsd', 'test/emulation/freebsd'];
  return dirs.flatMap((dir) =>
    readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.[ch]$/.test(f))
      .map((f) => path.join(repoRoot, dir, f)),
  );
}

/** isUpToDate tells whether the output exists and is newer than its sources and the native headers. */
function isUpToDate(target: Target, headers: string[]): boolean {
  if (!existsSync(target.output)) {
    return false;
  }
  const built = statSync(target.output).mtimeMs;
  return [target.source, ...(target.more ?? []), ...headers].every((file) => built > statSync(file).mtimeMs);
}

/**
 * compile runs the C compiler (`$CC`, default `cc`) for one target. It writes to a temporary name
 * and renames, so a concurrent run never sees a half-written file; a failure carries the compiler
 * output.
 */
function compile(target: Target): Promise<void> {
  const compiler = process.env.CC || 'cc';
  const temporary = `${target.output}.${process.pid}.tmp`;
  mkdirSync(path.dirname(target.output), { recursive: true });
  return new Promise((resolve, reject) => {
    const args = [...COMMON_FLAGS, ...target.flags(), '-o', temporary, target.source, ...(target.more ?? [])];
    execFile(compiler, args, (error, _stdout, stderr) => {
      if (error) {
        rmSync(temporary, { force: true });
        reject(new Error(`${compiler} ${args.join(' ')} failed:\n${stderr || error.message}`));
        return;
      }
      renameSync(temporary, target.output);
      resolve();
    });
  });
}

/**
 * buildHelpers compiles every helper whose output is missing or older than its source, in parallel,
 * and resolves with their paths. It rejects with the compiler's diagnostics if one fails.
 */
export async function buildHelpers(): Promise<HelperPaths> {
  const paths = helperPaths();
  mkdirSync(paths.outDir, { recursive: true });
  const headers = nativeHeaders();
  const stale = targetsOf(paths).filter((target) => !isUpToDate(target, headers));
  await Promise.all(stale.map(compile));
  return paths;
}
