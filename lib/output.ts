/**
 * output - what a run captured from the child's stdout and stderr, in the
 * order it arrived, and how it is handed back: strings by encoding,
 * Buffers, or lines; with or without the final newline; and `all`, both
 * streams interleaved.
 */
import { StringDecoder } from 'node:string_decoder';

/** OutputName names a captured stream. */
export type OutputName = 'stdout' | 'stderr';

/** RunOutput is the type of a run's stdout, stderr and all. */
export type RunOutput = string | Buffer | string[];

/** Shaping is how a run's output is handed back. */
export interface Shaping {
  /** encoding decodes text; null gives Buffers. */
  encoding: BufferEncoding | null;
  /** strip removes one final '\n' (or '\r\n') from text, and the newline of each line. */
  strip: boolean;
  /** lines splits text into an array of lines. */
  lines: boolean;
  /** all also gives both streams interleaved, in the order their chunks arrived. */
  all: boolean;
}

/** Shaped is the output handed back. */
export interface Shaped {
  stdout: RunOutput;
  stderr: RunOutput;
  all: RunOutput | undefined;
}

function stripFinalNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function toLines(text: string, strip: boolean): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return strip ? lines.map(stripFinalNewline) : lines;
}

/**
 * Output keeps the chunks of stdout and stderr in arrival order, at most
 * `limit` bytes of each; what comes after the limit is counted as an
 * overflow and dropped. With `wholeChunk` (child_process's spawnSync), the
 * chunk that goes over the limit is kept whole, and only later ones are
 * dropped.
 */
export class Output {
  #chunks: Array<[OutputName, Buffer]> = [];
  #bytes = { stdout: 0, stderr: 0 };
  #limit: number;
  #wholeChunk: boolean;

  constructor(limit: number, wholeChunk = false) {
    this.#limit = limit;
    this.#wholeChunk = wholeChunk;
  }

  /** limit is the most bytes kept of each stream. */
  get limit(): number {
    return this.#limit;
  }

  /**
   * push keeps a chunk of `name`, up to the limit; it returns false when the
   * chunk went past it (what fits is kept, or all of it with `wholeChunk`),
   * true otherwise.
   */
  push(name: OutputName, chunk: Buffer): boolean {
    const room = this.#limit - this.#bytes[name];
    if (chunk.length === 0) return true;
    if (room <= 0) return false;
    const kept = chunk.length <= room || this.#wholeChunk ? chunk : chunk.subarray(0, room);
    this.#chunks.push([name, kept]);
    this.#bytes[name] += kept.length;
    return chunk.length <= room;
  }

  /** bytes is the whole of one stream, as raw bytes. */
  bytes(name: OutputName): Buffer {
    return Buffer.concat(this.#of(name), this.#bytes[name]);
  }

  /** The chunks of one stream. */
  #of(name: OutputName): Buffer[] {
    const mine: Buffer[] = [];
    for (const [n, c] of this.#chunks) if (n === name) mine.push(c);
    return mine;
  }

  /** One stream decoded: a single chunk (a short output) without the copy that joining makes. */
  #text(name: OutputName, encoding: BufferEncoding): string {
    const mine = this.#of(name);
    if (mine.length <= 1) return mine[0]?.toString(encoding) ?? '';
    return Buffer.concat(mine).toString(encoding);
  }

  /** The two streams interleaved, each decoded on its own so that no character is cut by the other. */
  #allText(encoding: BufferEncoding): string {
    const decoders = { stdout: new StringDecoder(encoding), stderr: new StringDecoder(encoding) };
    let text = '';
    for (const [name, chunk] of this.#chunks) text += decoders[name].write(chunk);
    return text + decoders.stdout.end() + decoders.stderr.end();
  }

  /** shape hands the output back as `how` asks. It throws ERR_STRING_TOO_LONG for more text than V8 holds. */
  shape(how: Shaping): Shaped {
    if (how.encoding === null) {
      const all = how.all ? Buffer.concat(this.#chunks.map(([, c]) => c)) : undefined;
      return { stdout: this.bytes('stdout'), stderr: this.bytes('stderr'), all };
    }
    const encoding = how.encoding;
    const text = (raw: string): RunOutput =>
      how.lines ? toLines(raw, how.strip) : how.strip ? stripFinalNewline(raw) : raw;
    return {
      stdout: text(this.#text('stdout', encoding)),
      stderr: text(this.#text('stderr', encoding)),
      all: how.all ? text(this.#allText(encoding)) : undefined,
    };
  }

  /** tail is the end of stderr as text for an error message: its last lines, at most `max` characters. */
  tail(maxLines = 10, max = 2000): string {
    const lines = stripFinalNewline(this.#text('stderr', 'utf8')).split('\n');
    const text = lines.slice(-maxLines).join('\n');
    return text.length > max ? `…${text.slice(-max)}` : text;
  }
}
