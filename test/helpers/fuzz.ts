/**
 * Shared pieces of the property tests in `test/fuzz/`: how many cases to run, the strings they
 * generate, and a reader for the echo fixture's output.
 */
import fc from 'fast-check';

/**
 * fuzzRuns is how many cases each property runs: `PP_FUZZ_RUNS` (`npm run test:fuzz` sets 100000),
 * else 1000, the number `npm test` runs. `scale` divides it for properties whose cases are many
 * spawns each.
 */
export function fuzzRuns(scale = 1): number {
  const runs = Number(process.env.PP_FUZZ_RUNS);
  const base = Number.isInteger(runs) && runs > 0 ? runs : 1000;
  return Math.max(1, Math.round(base / scale));
}

/** MAX_ARG_STRLEN is Linux's limit on one argument or environment string, its NUL included. */
export const MAX_ARG_STRLEN = 32 * 4096;

/** loneSurrogate is a UTF-16 code unit that is half of a pair: it reaches the child as U+FFFD. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));

/** awkward are the pieces that break careless marshalling: separators, quotes, shell syntax. */
const awkward = fc.constantFrom('=', '\n', '\r', ' ', '\t', '"', "'", '\\', '$', '`', '%s', '-', '--', '\x7f', '\x01');

/**
 * argString is any string without NUL: empty, ASCII, any Unicode code point, lone surrogates,
 * separators, and now and then a very long one (up to just past MAX_ARG_STRLEN bytes).
 */
export const argString: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 8, arbitrary: fc.string({ unit: 'binary' }) },
    { weight: 6, arbitrary: fc.string({ unit: fc.oneof(awkward, fc.string({ unit: 'grapheme', maxLength: 1 })) }) },
    { weight: 2, arbitrary: fc.string({ unit: loneSurrogate, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_ARG_STRLEN + 16 }).map((n) => 'x'.repeat(n)) },
  )
  .map((s) => s.replaceAll('\0', ''));

/** withNul is a string with at least one NUL somewhere in it. */
export const withNul: fc.Arbitrary<string> = fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\0${b}`);

/** EchoOutput is what the echo fixture printed: each string as the bytes it received. */
export interface EchoOutput {
  argv: Buffer[];
  env: Buffer[];
  cwd: Buffer | null;
}

/** parseEcho reads the echo fixture's output: three sections of a count and NUL-ended strings. */
export function parseEcho(out: Buffer): EchoOutput {
  let at = 0;
  const next = (): Buffer => {
    const end = out.indexOf(0, at);
    if (end < 0) throw new Error(`echo output ends early at byte ${at} of ${out.length}`);
    const piece = out.subarray(at, end);
    at = end + 1;
    return piece;
  };
  const section = (): Buffer[] => Array.from({ length: Number(next().toString()) }, next);
  const argv = section();
  const env = section();
  const cwd = section()[0] ?? null;
  if (at !== out.length) throw new Error(`echo output has ${out.length - at} stray bytes`);
  return { argv, env, cwd };
}
