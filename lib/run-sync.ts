/**
 * run-sync - runPrivateSync, the execaSync / spawnSync of private children.
 *
 * It keeps the rules of runPrivate — the run is over once the child has
 * been reaped and both output pipes have closed; timeout and maxBuffer stop
 * the child (its whole group when detached), and a stopped child's pipes
 * are dropped once it is reaped — but blocks the thread: the addon's
 * pumpSync polls the pipes, and this loop decides what happens next.
 */
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { notSupported, systemError } from './errors';
import { raw, type PrivateHandle } from './handle';
import { native, type NativeHandle } from './native';
import type { Normalized } from './options';
import { Output, type OutputName } from './output';
import { endRun, startFailure, type Failure, type RunEnd } from './run-end';
import { checkRunOptions, type RunChecked, type RunPrivateSyncOptions, type RunSignatures } from './run-options';
import { toSignal } from './signals';
import { chooseFor, spawnNormalized } from './spawn';
import type { ProcessStatus } from './status';

// The flags of pumpSync, as in native/common/addon_sync.c.
const PUMP_STDOUT_EOF = 0x1;
const PUMP_STDERR_EOF = 0x2;
const PUMP_CHILD = 0x4;
const SIGKILL = toSignal('SIGKILL');
const quietWriteErrors = [-constants.errno.EPIPE, -constants.errno.ECONNRESET];

/** One synchronous run: its child, its pipes, and what has happened so far. */
class SyncRun {
  failure: Failure | null = null;
  readonly output: Output;
  #h: PrivateHandle;
  #native: NativeHandle;
  #o: Normalized;
  #fds: [number, number, number];
  #input: Buffer | null;
  #offset = 0;
  #reaped = false;
  #stopped = false;
  #killed = false;
  #killAt: number;
  #escalateAt = Infinity;

  constructor(h: PrivateHandle, o: Normalized, run: RunChecked, started: number, wholeChunk: boolean) {
    this.#h = h;
    this.#o = o;
    this.output = new Output(run.maxBuffer, wholeChunk);
    const { native: handle, fds } = raw(h);
    this.#native = handle;
    this.#fds = [fds[0] ?? -1, fds[1] ?? -1, fds[2] ?? -1];
    const input = run.input as string | Uint8Array | undefined;
    this.#input = input === undefined ? null : typeof input === 'string' ? Buffer.from(input) : Buffer.from(input);
    if (this.#input === null || this.#input.length === 0) this.#close(0);
    this.#killAt = o.timeout > 0 ? started + o.timeout : Infinity;
  }

  #close(slot: 0 | 1 | 2): void {
    if (this.#fds[slot] >= 0) closeSync(this.#fds[slot]);
    this.#fds[slot] = -1;
  }

  /** Stops the run: the child gets killSignal, once, and its pipes are dropped once it is reaped. */
  #fail(why: Failure): void {
    this.failure ??= why;
    this.#stopped = true;
    if (this.#killed) return;
    this.#killed = true;
    const group = { group: this.#o.detached };
    if (!this.#h.kill(this.#o.killSignal, group)) return;
    if (this.#o.killGraceMs !== null && this.#o.killSignal !== SIGKILL) {
      this.#escalateAt = performance.now() + this.#o.killGraceMs;
    }
  }

  /** Reaps the child if it has exited; a lost status ends the run with that failure. */
  #tryReap(block: boolean): void {
    try {
      this.#reaped = (block ? this.#h.waitSync() : this.#h.waitNonblock()) !== null;
    } catch (error) {
      this.#reaped = true;
      this.failure ??= { kind: 'lost', error: error as Error, code: (error as { code: string }).code };
    }
  }

  #take(slot: 1 | 2, got: Buffer | null | number, eof: boolean): void {
    const name: OutputName = slot === 1 ? 'stdout' : 'stderr';
    if (typeof got === 'number') {
      this.#fail({ kind: 'io', error: systemError(`read ${name}`, got) });
      this.#close(slot);
      return;
    }
    if (got !== null && !this.output.push(name, got) && !this.#stopped) {
      this.#fail({ kind: 'maxBuffer', stream: name, limit: this.output.limit });
    }
    if (eof) this.#close(slot);
  }

  /** One turn: timers, then one poll, then what it found. Returns false once the run is over. */
  step(): boolean {
    const open = this.#fds[1] >= 0 || this.#fds[2] >= 0;
    if (this.#reaped && (!open || this.#stopped)) return false;
    const now = performance.now();
    if (now >= this.#killAt) {
      this.#killAt = Infinity;
      this.#fail({ kind: 'timeout', timeout: this.#o.timeout });
      return true;
    }
    if (now >= this.#escalateAt) {
      this.#escalateAt = Infinity;
      this.#h.kill(SIGKILL, { group: this.#o.detached });
    }
    const deadline = Math.min(this.#killAt, this.#escalateAt);
    if (!open && this.#fds[0] < 0 && deadline === Infinity) {
      this.#tryReap(true);
      return true;
    }
    const wait = deadline === Infinity ? -1 : Math.max(1, Math.ceil(deadline - now));
    const watch = !this.#reaped && (!open || this.#stopped);
    const [written, out, err, flags] = native.pumpSync(this.#native, this.#fds, this.#input, this.#offset, wait, watch);
    this.#write(written);
    this.#take(1, out, (flags & PUMP_STDOUT_EOF) !== 0);
    this.#take(2, err, (flags & PUMP_STDERR_EOF) !== 0);
    if ((flags & PUMP_CHILD) !== 0 && !this.#reaped) this.#tryReap(false);
    return true;
  }

  #write(written: number): void {
    if (this.#input === null || this.#fds[0] < 0) return;
    if (written < 0) {
      this.#close(0); // a child that does not read all of its input is not an error
      if (!quietWriteErrors.includes(written)) {
        this.#fail({ kind: 'io', error: systemError('write stdin', written) });
      }
      return;
    }
    this.#offset += written;
    if (this.#offset >= this.#input.length) this.#close(0);
  }

  /**
   * abandon ends a run that threw: the child (its group when detached) is killed and, where the
   * backend can wait synchronously, reaped, so that no child outlives the call that started it.
   */
  abandon(): void {
    if (this.#reaped) return;
    try {
      this.#h.kill(SIGKILL, { group: this.#o.detached });
      this.#h.waitSync();
    } catch {
      // Whatever is left is the handle's: a dropped handle's child is reaped when it is collected.
    }
  }

  /** end closes what is still open: the pipes of a stopped child, dropped once it is reaped. */
  end(): void {
    for (const slot of [0, 1, 2] as const) this.#close(slot);
  }

  /** status is the child's status once it has been reaped. */
  get status(): ProcessStatus | null {
    return this.#h.status;
  }
}

/** Returns the result of a run that is over, or throws its error. */
function endSync(end: RunEnd): never {
  const outcome = endRun(end);
  if ('error' in outcome) throw outcome.error;
  return outcome.result as never;
}

/**
 * runSyncKeeping is runPrivateSync, but the chunk that goes over maxBuffer is
 * kept whole when `wholeChunk` is true, as child_process's spawnSync keeps
 * it. For private-process/child_process; the package does not export it.
 */
export function runSyncKeeping(file: string, args: unknown, options: unknown, wholeChunk: boolean): never {
  const [o, run] = checkRunOptions(file, args, options, true);
  const started = performance.now();
  const base = { file: o.file, args: o.args, spawnargs: o.argv, started, run };
  let h: PrivateHandle;
  try {
    if (chooseFor(o).backend === 'portable') {
      // Refused before any child is started: child_process keeps the pipes in its own streams,
      // which only the event loop this call blocks could read.
      throw notSupported('runPrivateSync()', 'the portable backend has no pipes to poll while the thread is blocked');
    }
    h = spawnNormalized(o, false);
  } catch (err) {
    return endSync({ ...base, pid: null, status: null, failure: startFailure(err), output: null });
  }
  const r = new SyncRun(h, o, run, started, wholeChunk);
  try {
    while (r.step());
  } catch (error) {
    r.abandon();
    throw error;
  } finally {
    r.end();
  }
  return endSync({ ...base, pid: h.pid, status: r.status, failure: r.failure, output: r.output });
}

/**
 * runPrivateSync is runPrivate that blocks the thread until the run is
 * over, and returns its RunResult or throws its RunError. It takes the
 * same options except `signal` (nothing can abort a blocked thread: use
 * timeout) and a stream as `input`; a child that could not start, the
 * portable backend's included (it has no pipes to poll), throws a RunError. Output is read from both pipes as it
 * comes, so a child that fills one while it waits on the other cannot
 * deadlock it.
 */
export const runPrivateSync: RunSignatures<true, RunPrivateSyncOptions> = (
  file: string,
  args?: unknown,
  options?: unknown,
): never => runSyncKeeping(file, args, options, false);
