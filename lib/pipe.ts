/**
 * pipe - subprocess.pipe(): one run's stdout as the next one's stdin, as a
 * shell's `a | b` with pipefail, both statuses in the result.
 *
 * The source's output is still captured into its own result; the
 * destination gets every byte of it as well, from the first, at its own
 * pace: while its stdin is full the source's stdout is not read. When the
 * destination stops reading (it exited, or closed its stdin) before the
 * source's output ended (the last one, when the source is piped to
 * several), the source's stdout is closed here, so that a
 * source that writes on dies of SIGPIPE (or gets EPIPE), as in a shell,
 * rather than run on; that end is not a failure of the pipeline.
 */
import type { Writable } from 'node:stream';
import { checkOptions } from './check';
import { invalidArgType, invalidArgValue } from './errors';
import { splitArgs } from './options';
import type { RunError } from './run-result';
import type { PrivateSubprocess, RunResult } from './run-options';
import { liveOf, makeSubprocess, type PipeFrom, type RunLive } from './subprocess';

/** StartRun is runPrivate, which pipe() calls for a destination given as a file. */
export type StartRun = (file: string, args?: unknown, options?: unknown) => PrivateSubprocess;

/** The options of a destination given as a file, its stdin made a pipe. */
function destinationOptions(options: unknown): Record<string, unknown> {
  const o = checkOptions(options);
  if (o.input !== undefined) {
    throw invalidArgValue('options.input', o.input, "cannot be given to pipe(): the destination's stdin is the source");
  }
  const stdio =
    o.stdio === undefined || o.stdio === null
      ? []
      : Array.isArray(o.stdio)
        ? [...o.stdio]
        : [o.stdio, o.stdio, o.stdio];
  const first = stdio[0] as unknown;
  if (first !== undefined && first !== null && first !== 'pipe') {
    throw invalidArgValue('options.stdio[0]', first, "must be 'pipe' in pipe(): the destination's stdin is the source");
  }
  return { ...o, stdio: ['pipe', ...stdio.slice(1)] };
}

/** The destination of pipe(): a subprocess of runPrivate, or one started from a file, args and options. */
function destinationOf(args: unknown[], start: StartRun): PrivateSubprocess {
  const [first, ...rest] = args;
  if (liveOf(first) !== undefined) return first as PrivateSubprocess;
  if (typeof first !== 'string') throw invalidArgType('destination', 'a subprocess of runPrivate, or a string', first);
  const [fileArgs, options] = splitArgs(rest[0], rest[1]);
  return start(first, fileArgs, destinationOptions(options));
}

/** The destination's stdin, which nothing else may write: refused otherwise. */
function destinationStdin(live: RunLive | null): Writable | null {
  if (live === null) return null; // it never started: nothing to write to
  const stdin = live.takeStdin();
  if (stdin === null) {
    throw invalidArgValue(
      'destination',
      live.handle.spawnargs.join(' '),
      "must have a stdin pipe that nothing else writes: stdio[0] 'pipe', no input, and pipe() called in the tick that started it",
    );
  }
  return stdin;
}

/**
 * A source that failed once its output was closed for a destination that
 * stopped reading: it died of SIGPIPE, or exited non-zero, which is how a
 * program that ignores SIGPIPE reports the EPIPE it got (the two cannot be
 * told apart). A timeout, maxBuffer or abort is still the source's failure.
 */
function brokenPipe(outcome: unknown, cut: boolean): boolean {
  return cut && (outcome as Partial<RunError>).code === 'ERR_PRIVATE_PROCESS_FAILED';
}

/**
 * Settles the pipeline once both runs have, as a shell with pipefail: the
 * destination's result, the source's result (or error) in its pipedFrom;
 * the destination's error when it failed, else the source's error when the
 * source failed for any reason but the broken pipe the pipeline gave it.
 */
async function settlePipeline(source: Promise<unknown>, destination: Promise<RunResult>, cut: () => boolean) {
  const [s, d] = await Promise.allSettled([source, destination]);
  const from = s.status === 'fulfilled' ? s.value : s.reason;
  const to = (d.status === 'fulfilled' ? d.value : d.reason) as Partial<RunResult>;
  if (Array.isArray(to.pipedFrom) && !to.pipedFrom.includes(from as RunResult)) to.pipedFrom.push(from as RunResult);
  if (d.status === 'rejected') throw d.reason;
  if (s.status === 'rejected' && !brokenPipe(s.reason, cut())) throw s.reason;
  return d.value;
}

/**
 * pipeFrom pipes the source's stdout into the destination that `args`
 * name, and returns the pipeline: a subprocess of the destination's child
 * whose promise settles as settlePipeline says. Bad arguments throw
 * synchronously, before a destination given as a file is started.
 */
export function pipeFrom(source: Promise<unknown>, live: RunLive | null, args: unknown[], start: StartRun) {
  if (live !== null && !live.stdout.piped) {
    throw invalidArgValue('source', live.handle.spawnargs.join(' '), "must have a stdout pipe (stdio[1] 'pipe')");
  }
  const destination = destinationOf(args, start);
  const destinationLive = liveOf(destination) as RunLive | null;
  const stdin = destinationStdin(destinationLive);
  let cut = false;
  // Once the last destination reading it has stopped.
  const stopSource = (): void => {
    if (live === null || live.stdout.closed || live.stdout.readers > 0) return;
    cut = true;
    live.stdout.destroy();
  };
  if (stdin === null) stopSource();
  else if (live === null) stdin.end();
  else {
    stdin.once('close', stopSource);
    live.stdout.tap(stdin, true);
  }
  const pipeline = settlePipeline(source, destination, () => cut);
  const again: PipeFrom = (from, fromLive, more) => pipeFrom(from, fromLive, more, start);
  return makeSubprocess(pipeline as Promise<RunResult>, destinationLive, again);
}
