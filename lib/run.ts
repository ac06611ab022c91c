/**
 * run - runPrivate, the execa / execFile of private children: run a
 * command to its end and collect its output and status.
 *
 * It returns a PrivateSubprocess (subprocess.ts), which pipe.ts can pipe
 * into another run.
 *
 * A run is over when the child has been reaped AND its stdout and stderr
 * have closed, so output written just before the exit, or by a descendant
 * that kept the pipe, is never lost. Abort, timeout and maxBuffer stop the
 * child (its whole process group when it is detached), and the run still
 * ends only once it has been reaped, with every byte the child wrote before
 * it died (up to maxBuffer).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { finished, type Readable, type Writable } from 'node:stream';
import { armCancellation, type Cancellation } from './cancel';
import { Capture } from './capture';
import type { PrivateHandle } from './handle';
import type { Normalized } from './options';
import { Output } from './output';
import { endRun, startFailure, type Failure, type RunEnd } from './run-end';
import {
  checkRunOptions,
  type PrivateSubprocess,
  type RunChecked,
  type RunInput,
  type RunPrivateOptions,
  type RunSignatures,
} from './run-options';
import { spawnNormalized } from './spawn';
import type { ProcessStatus } from './status';
import { makeSubprocess, type PipeFrom, type RunLive } from './subprocess';
import { pipeFrom } from './pipe';
import { readPipe, type CaptureSource } from './reader';

/** Fed is how a run's stdin is handled: the clean-up for the end of the run, and the take of a stdin it does not feed. */
interface Fed {
  unfeed(): void;
  take(): Writable | null;
}

/**
 * Writes the input to stdin; returns the clean-up for the end of the run.
 * An input stream that errs or is destroyed before its end fails the run
 * (ERR_STREAM_PREMATURE_CLOSE for the latter) and closes stdin. A stdin
 * pipe without input is the subprocess's to take in this tick; it is
 * closed on the next one when nobody took it.
 */
function feed(stdin: Writable | null, input: RunInput | undefined, fail: (err: Error) => void): Fed {
  const none = (): null => null;
  if (stdin === null) return { unfeed: () => undefined, take: none };
  // A child that exits without reading all of its input is not an error.
  stdin.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET' && err.code !== 'ERR_STREAM_DESTROYED') fail(err);
  });
  if (input === undefined) {
    let open = true;
    process.nextTick(() => {
      if (open) stdin.end();
      open = false;
    });
    const take = (): Writable | null => {
      if (!open) return null;
      open = false;
      return stdin;
    };
    return { unfeed: () => stdin.destroy(), take };
  }
  if (typeof input === 'string' || input instanceof Uint8Array) {
    stdin.end(input);
    return { unfeed: () => stdin.destroy(), take: none };
  }
  // An input that errs, or closes without its end (destroyed), breaks off: pipe() would never end
  // stdin, and a child that reads to the end of its input would wait for ever.
  const unwatch = finished(input, { writable: false }, (err) => {
    if (err === null || err === undefined) return;
    fail(err); // killSignal first, so that the child dies of it rather than of the end of its input
    stdin.destroy();
  });
  input.pipe(stdin);
  const unfeed = (): void => {
    unwatch();
    input.unpipe(stdin);
    stdin.destroy();
  };
  return { unfeed, take: none };
}

/** Settles a run that is over: resolve with the result, or reject with its error. */
function settleRun(end: RunEnd, resolve: (r: never) => void, reject: (e: unknown) => void): void {
  try {
    const outcome = endRun(end);
    if ('error' in outcome) reject(outcome.error);
    else resolve(outcome.result as never);
  } catch (err) {
    reject(err); // ERR_STRING_TOO_LONG: more than V8 can hold in one string
  }
}

/**
 * What a run reads one output from: the pipe the addon reads (fd), the
 * portable backend's stream, or nothing when the slot is not a pipe.
 */
function source(fd: number, stream: Readable | null): CaptureSource | null {
  if (fd < 0) return stream;
  return readPipe(fd, () => new net.Socket({ fd, readable: true, writable: false }));
}

/** Follows one started child to the end of its run. */
function supervise(
  h: PrivateHandle,
  o: Normalized,
  run: RunChecked,
  started: number,
  outputs: readonly number[],
): PrivateSubprocess {
  let live: RunLive | null = null;
  const promise = new Promise<never>((resolve, reject) => {
    const output = new Output(run.maxBuffer);
    let failure: Failure | null = null;
    let status: ProcessStatus | null = null;
    let reaped = false;
    let stopped = false;
    let dropping = false;
    let over = false;
    /**
     * Drops the pipes of a stopped child that has been reaped, so that a
     * descendant holding them cannot keep the run open: a turn of the event
     * loop later, which reads what they already hold. The child's exit and
     * the output it wrote before it may be seen in the same turn, the exit
     * first; only a descendant's later output is cut off.
     */
    const drop = (): void => {
      if (dropping) return;
      dropping = true;
      setImmediate(() => {
        for (const c of captures) c.destroy();
      });
    };
    /** Stops the run: the child is killed, and its pipes dropped once it is reaped. */
    const fail = (why: Failure): void => {
      if (over) return;
      failure ??= why;
      stopped = true;
      cancellation.kill();
      if (reaped) drop();
    };
    const cancellation: Cancellation = armCancellation(h, o, (reason) =>
      fail(reason === 'abort' ? { kind: 'abort', reason: o.signal?.reason } : { kind: 'timeout', timeout: o.timeout }),
    );
    const finish = (): void => {
      if (over || !reaped || !captures.every((c) => c.closed)) return;
      over = true;
      cancellation.disarm();
      unfeed();
      const end = {
        file: o.file,
        args: o.args,
        spawnargs: h.spawnargs,
        started,
        run,
        pid: h.pid,
        status,
        failure,
        output,
      };
      settleRun(end, resolve, reject);
    };
    const io = (error: Error): void => fail({ kind: 'io', error });
    const events = (stream: 'stdout' | 'stderr') => ({
      overflow: () => fail({ kind: 'maxBuffer', stream, limit: run.maxBuffer }),
      error: io,
      closed: finish,
    });
    const captures = [
      new Capture(source(outputs[0]!, h.stdout), 'stdout', output, events('stdout')),
      new Capture(source(outputs[1]!, h.stderr), 'stderr', output, events('stderr')),
    ];
    const { unfeed, take } = feed(h.stdin as Writable | null, run.input, io);
    live = { handle: h, stdout: captures[0]!, stderr: captures[1]!, takeStdin: take };
    const reap = (): void => {
      reaped = true;
      if (stopped) drop();
      finish();
    };
    h.wait().then(
      (s) => {
        status = s;
        reap();
      },
      (error: Error & { code: string }) => {
        // The status was lost: the child is gone, its output is not.
        failure ??= { kind: 'lost', error, code: error.code };
        reap();
      },
    );
  });
  return makeSubprocess(promise, live, pipeTo);
}

function runAsync(file: string, args?: unknown, options?: unknown): PrivateSubprocess {
  const [o, run] = checkRunOptions(file, args, options, false);
  const started = performance.now();
  const never = { file: o.file, args: o.args, spawnargs: o.argv, started, run, pid: null, status: null, output: null };
  if (o.signal?.aborted) {
    const aborted = new Promise<never>((resolve, reject) =>
      settleRun({ ...never, failure: { kind: 'abort', reason: o.signal?.reason } }, resolve, reject),
    );
    return makeSubprocess(aborted, null, pipeTo);
  }
  let h: PrivateHandle;
  const outputs: number[] = [];
  try {
    h = spawnNormalized(o, true, outputs);
  } catch (err) {
    // A child that could not start is the run's failure; startFailure throws anything else, which rejects.
    const failed = new Promise<never>((resolve, reject) =>
      settleRun({ ...never, failure: startFailure(err) }, resolve, reject),
    );
    return makeSubprocess(failed, null, pipeTo);
  }
  return supervise(h, o, run, started, outputs);
}

/** pipeTo is pipe() of every run's subprocess, which starts a destination given as a file with runAsync. */
const pipeTo: PipeFrom = (source, live, args) => pipeFrom(source, live, args, runAsync);

/**
 * runPrivate runs `file` with `args` as a private child to its end and
 * resolves with its output and status: `{ stdout, stderr, all, status,
 * pid, exitCode, signal, command, durationMs }`. It takes spawnPrivate's
 * options and those of RunPrivateOptions; options may take the place of
 * args. Output is text by `encoding` (UTF-8) without its final newline, or
 * Buffers, or lines. The promise settles only once the child has been
 * reaped and both of its output streams have closed. Bad arguments throw
 * synchronously, before anything is spawned; everything that happens to
 * the run rejects with a RunError (see isRunError): a child that did not
 * exit 0 (unless `reject: false`), a spawn error (ENOENT...), a backend
 * that cannot start it here (ERR_PRIVATE_BACKEND_UNAVAILABLE, or
 * ERR_NOT_SUPPORTED for an isolation or an identity option it cannot give),
 * an abort (a signal that had already aborted starts nothing), a timeout,
 * maxBuffer. The promise it returns is also the live child, a
 * PrivateSubprocess: its pid, kill(), wait(), stdout and stderr while it
 * runs, stdin when it is a pipe without input, and pipe() into another run.
 */
export const runPrivate: RunSignatures<false, RunPrivateOptions> = runAsync as never;
