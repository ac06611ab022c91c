/**
 * Type tests of the CommonJS declarations (dist/cjs/index.d.ts): correct use
 * compiles, and every `@ts-expect-error` line must be an error — tsc fails
 * on an expect-error line that compiles.
 */
import { spawn } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import {
  capabilities,
  forkPrivate,
  isRunError,
  isSpawnError,
  preloadPath,
  PrivateHandle,
  ProcessStatus,
  runPrivate,
  runPrivateSync,
  spawnPrivate,
  waitpid,
  type CapabilityName,
  type PrivateHandleWithoutNullStreams,
  type PrivateSubprocess,
  PrivateProcessError,
  RunError,
  SpawnError,
  type SpawnStep,
  type Rlimits,
  type RunPrivateOptions,
  type RunResult,
  type SpawnPrivateOptions,
} from '../../dist/cjs/index.js';

/** Equal is true when A and B are the same type, not merely assignable. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

export async function spawnOptions(): Promise<void> {
  const h: PrivateHandle = spawnPrivate('ls', ['-l'], {
    cwd: new URL('file:///tmp'),
    env: { PATH: '/bin', UNSET: undefined },
    stdio: ['ignore', 'pipe', 2],
    signal: AbortSignal.timeout(1000),
    timeout: 1000,
    killSignal: 'SIGKILL',
    killGraceMs: 500,
    backend: 'linux',
    isolation: 'hidden',
    strict: true,
  });
  // @ts-expect-error: strict is a boolean
  spawnPrivate('ls', [], { strict: 'yes' });
  assertType<Equal<typeof h.isolation, 'hidden' | 'direct'>>();
  assertType<Equal<typeof h.backend, 'linux' | 'freebsd' | 'fallback' | 'portable'>>();
  // @ts-expect-error: no such isolation
  spawnPrivate('ls', [], { isolation: 'shepherd' });
  const status: ProcessStatus = await h.wait();
  assertType<Equal<typeof status.signal, NodeJS.Signals | null>>();
  assertType<Equal<typeof status.exitCode, number | null>>();
  h.kill('SIGUSR1');
  h.kill(9);
  // @ts-expect-error: not a signal name
  h.kill('SIGFOO');
  // @ts-expect-error: stdio has no 'pty'
  spawnPrivate('ls', [], { stdio: 'pty' });
  // @ts-expect-error: timeout is a number of milliseconds
  spawnPrivate('ls', [], { timeout: '1' });
  // @ts-expect-error: no such backend
  spawnPrivate('ls', [], { backend: 'x' });
  // @ts-expect-error: killGraceMs is a number of milliseconds
  spawnPrivate('ls', [], { killGraceMs: '100' });
  // @ts-expect-error: args is an array, not a string
  spawnPrivate('ls', '-l');
  // @ts-expect-error: status is read-only
  h.status = null;
  forkPrivate('./helper.js', [], { stdio: 'inherit' });
  const caps = capabilities();
  assertType<Equal<typeof caps.pidfdOpen, boolean>>();
  assertType<Equal<typeof caps.guardInstall, boolean>>();
  assertType<Equal<typeof caps.childDescriptors, number | null>>();
  assertType<Equal<typeof caps.isolation, 'hidden' | 'direct' | null>>();
  assertType<Equal<typeof caps.isolations.hidden.available, boolean>>();
  assertType<Equal<typeof caps.backend, 'linux' | 'freebsd' | 'fallback' | 'portable' | null>>();
  const reaped: ProcessStatus | null = waitpid(-1, { nohang: true });
  void reaped;
}

export async function runSubprocesses(): Promise<void> {
  const sub = runPrivate('cat', [], { stdio: 'pipe' });
  assertType<Equal<typeof sub, PrivateSubprocess<string>>>();
  const pid: number | null = sub.pid;
  const stdin: Writable | null = sub.stdin;
  const stdout: Readable | null = sub.stdout;
  const sent: boolean = sub.kill('SIGKILL', { group: false });
  void [pid, stdin, stdout, sent];
  assertType<Equal<Awaited<ReturnType<typeof sub.wait>>, RunResult<string>>>();
  assertType<Equal<Awaited<typeof sub>, RunResult<string>>>();
  const bytes = runPrivate('cat', { encoding: 'buffer' });
  assertType<Equal<Awaited<ReturnType<typeof bytes.wait>>['stdout'], Buffer>>();
  const promise: Promise<RunResult<string>> = sub;
  void promise;
  const piped = runPrivate('ls').pipe(runPrivate('sort', { encoding: 'buffer', stdio: 'pipe' }));
  assertType<Equal<typeof piped, PrivateSubprocess<Buffer>>>();
  const chained = runPrivate('ls').pipe('sort', ['-r']).pipe('head', { lines: true });
  assertType<Equal<Awaited<typeof chained>['stdout'], string[]>>();
  const from: Array<RunResult | RunError> = (await chained).pipedFrom;
  void from;
  // @ts-expect-error: the destination's stdin is the source: no input
  runPrivate('ls').pipe('sort', [], { input: 'x' });
  // @ts-expect-error: pid cannot be assigned
  sub.pid = 1;
  // @ts-expect-error: kill takes a signal name or number
  sub.kill({});
}

export async function runResults(): Promise<void> {
  const plain = await runPrivate('ls');
  assertType<Equal<typeof plain, RunResult<string>>>();
  assertType<Equal<typeof plain.stdout, string>>();
  assertType<Equal<typeof plain.status, ProcessStatus>>();
  // @ts-expect-error: stdout is a string by default, not a Buffer
  plain.stdout.readUInt8(0);

  const latin1 = await runPrivate('ls', [], { encoding: 'latin1', input: 'x', maxBuffer: 1024, reject: true });
  assertType<Equal<typeof latin1.stderr, string>>();
  // @ts-expect-error: a string encoding gives strings
  const notBuffer: Buffer = latin1.stdout;
  void notBuffer;

  const bytes = await runPrivate('ls', [], { encoding: 'buffer', input: Readable.from(['x']) });
  assertType<Equal<typeof bytes.stdout, Buffer>>();
  // @ts-expect-error: 'buffer' gives Buffers, which have no toUpperCase
  bytes.stdout.toUpperCase();
  const nullBytes = await runPrivate('ls', undefined, { encoding: null });
  assertType<Equal<typeof nullBytes.stderr, Buffer>>();

  const options: RunPrivateOptions = { encoding: 'hex' };
  const unknown = await runPrivate('ls', [], options);
  assertType<Equal<typeof unknown.stdout, string | Buffer | string[]>>();

  // @ts-expect-error: not a Buffer encoding
  runPrivate('ls', [], { encoding: 'utf9' });
  // @ts-expect-error: input is a string, Buffer, Uint8Array or Readable
  runPrivate('ls', [], { input: 42 });
  // @ts-expect-error: maxBuffer is a number
  runPrivate('ls', [], { maxBuffer: '1M' });
  // @ts-expect-error: reject is a boolean
  runPrivate('ls', [], { reject: 'yes' });
  // @ts-expect-error: stdio has no 'pty', in runPrivate either
  runPrivate('ls', [], { stdio: 'pty' });
  // @ts-expect-error: the result's fields come once the promise resolves
  runPrivate('ls').exitCode;

  const spawnOptions: SpawnPrivateOptions = { timeout: 5 };
  await runPrivate('ls', [], spawnOptions);

  try {
    await runPrivate('ls', [], { reject: true });
  } catch (e) {
    const err = e as RunError<string>;
    assertType<Equal<typeof err.status, ProcessStatus | null>>();
    assertType<Equal<typeof err.stdout, string>>();
    const code: string = err.code;
    void code;
  }
}

export async function handleTypes(): Promise<void> {
  // stdio 'pipe' (the default): every standard stream is there, as ChildProcessWithoutNullStreams.
  const piped = spawnPrivate('ls');
  assertType<Equal<typeof piped.stdout, Readable>>();
  assertType<Equal<typeof piped.stdin, Writable>>();
  const piped2: PrivateHandleWithoutNullStreams = spawnPrivate('ls', ['-l'], { stdio: 'pipe' });
  piped2.stdout.setEncoding('utf8');
  const mixed = spawnPrivate('ls', [], { stdio: ['ignore', 'pipe', 'inherit'] });
  assertType<Equal<typeof mixed.stdin, null>>();
  assertType<Equal<typeof mixed.stdout, Readable>>();
  assertType<Equal<typeof mixed.stderr, null>>();
  const ignored = spawnPrivate('ls', { stdio: 'ignore' }); // options in the place of args
  assertType<Equal<typeof ignored.stdout, null>>();
  const fromVariable: SpawnPrivateOptions = { stdio: 'inherit' };
  const unknown = spawnPrivate('ls', [], fromVariable);
  assertType<Equal<typeof unknown.stdout, Readable | null>>();
  const general: PrivateHandle = mixed;
  void general;
  const forked = forkPrivate('./helper.js', { stdio: ['ignore', 'pipe', 'pipe'] });
  assertType<Equal<typeof forked.stderr, Readable>>();
  spawnPrivate('ls', [], { stdio: [process.stdin, 'pipe', process.stderr] });

  assertType<Equal<ReturnType<typeof piped.kill>, boolean>>();
  piped.kill('SIGTERM', { group: true });
  // @ts-expect-error: group is a boolean
  piped.kill('SIGTERM', { group: 1 });
  piped.on('exit', (code, signal) => {
    assertType<Equal<typeof code, number | null>>();
    assertType<Equal<typeof signal, NodeJS.Signals | null>>();
  });
  piped.once('close', (code: number | null) => void code).on('error', (err: Error) => void err);
  // @ts-expect-error: the handle's internals are not reachable
  piped._exited([1, 1, 0, 0, 0, 0, 0]);
  // @ts-expect-error: handles are made by the package only
  new PrivateHandle();
  // shell is true or the path of a shell, nothing else
  spawnPrivate('echo', ['$HOME'], { shell: true });
  spawnPrivate('echo', ['$HOME'], { shell: '/bin/sh' });
  // @ts-expect-error: not a boolean or a path
  spawnPrivate('echo', ['$HOME'], { shell: 1 });
  // an IPC channel: send(), disconnect(), connected
  const withChannel = forkPrivate('./helper.js', { serialization: 'advanced' });
  const sent: boolean = withChannel.send({ a: 1 }, (err: Error | null) => void err);
  const connected: boolean = withChannel.connected;
  void [sent, connected];
  withChannel.disconnect();
  // @ts-expect-error: no such serialization
  forkPrivate('./helper.js', { serialization: 'xml' });
  // @ts-expect-error: a misspelt option is caught too
  spawnPrivate('ls', [], { stdio: 'pipe', detatched: true });
  await piped.wait();
}

export async function runTypes(): Promise<void> {
  const lines = await runPrivate('ls', { lines: true });
  assertType<Equal<typeof lines.stdout, string[]>>();
  assertType<Equal<typeof lines.all, string[] | undefined>>();
  // all: true gives `all` as stdout's type, never undefined; without it, it may be undefined.
  const all = await runPrivate('ls', { all: true });
  assertType<Equal<typeof all.all, string>>();
  const allBytes = await runPrivate('ls', [], { all: true, encoding: 'buffer' });
  assertType<Equal<typeof allBytes.all, Buffer>>();
  const allLines = runPrivateSync('ls', [], { all: true, lines: true });
  assertType<Equal<typeof allLines.all, string[]>>();
  assertType<Equal<typeof allLines.stdout, string[]>>();
  const sync = runPrivateSync('ls', ['-l'], { encoding: 'buffer', timeout: 1000 });
  assertType<Equal<typeof sync, RunResult<Buffer>>>();
  const text = runPrivateSync('ls');
  assertType<Equal<typeof text.stdout, string>>();
  assertType<Equal<typeof text.all, string | undefined>>();
  assertType<Equal<typeof text.command, string>>();
  assertType<Equal<typeof text.durationMs, number>>();
  // @ts-expect-error: nothing could abort a synchronous run
  runPrivateSync('ls', [], { signal: AbortSignal.timeout(10) });
  // @ts-expect-error: a synchronous run cannot read a stream
  runPrivateSync('cat', [], { input: Readable.from(['x']) });
  try {
    await runPrivate('ls');
  } catch (e: unknown) {
    if (isRunError(e)) {
      assertType<Equal<typeof e.pid, number | null>>();
      assertType<Equal<typeof e.shortMessage, string>>();
      const len: number = e.stdout.length;
      void len;
    }
    if (isSpawnError(e)) {
      const step: string = e.step;
      void step;
    }
    // The error classes narrow as the guards do.
    if (e instanceof RunError) {
      assertType<Equal<typeof e.exitCode, number | null>>();
    }
    if (e instanceof SpawnError) {
      assertType<Equal<typeof e.step, SpawnStep>>();
    }
    if (e instanceof PrivateProcessError) {
      assertType<Equal<typeof e.code, string>>();
    }
  }
  // @ts-expect-error: run errors are made by the package only
  new RunError();
  // @ts-expect-error: spawn errors are made by the package only
  new SpawnError();
}

export function preloadExample(): void {
  // docs/api.md's example, under strict: preloadPath is null where the shim is not built.
  if (preloadPath !== null) {
    spawn(process.execPath, ['server.js'], { env: { ...process.env, LD_PRELOAD: preloadPath }, stdio: 'inherit' });
  }
}

export function privilegedHelperOptions(): void {
  const limits: Rlimits = { nofile: 1024, core: 0, as: { soft: 2 ** 30, hard: Infinity } };
  const perfmon: CapabilityName = 'CAP_PERFMON';
  spawnPrivate('perf', ['stat'], {
    uid: 65534,
    ambientCapabilities: [perfmon],
    capabilityBoundingSet: ['CAP_PERFMON', 'CAP_NET_RAW'],
    noNewPrivileges: true,
    rlimits: limits,
    nice: 10,
    cpuAffinity: [0, 1],
    cgroup: '/sys/fs/cgroup/tool/sampler',
  });
  // @ts-expect-error: capabilities are spelt as capabilities(7) does, upper case with CAP_
  spawnPrivate('perf', [], { ambientCapabilities: ['cap_perfmon'] });
  // @ts-expect-error: no such resource limit
  spawnPrivate('perf', [], { rlimits: { files: 10 } });
  // @ts-expect-error: both limits, or one number for both
  spawnPrivate('perf', [], { rlimits: { nofile: { soft: 10 } } });
}
