/**
 * Reading a child's output in tests.
 */
import type { Readable } from 'node:stream';

/** readAll collects a stream to its end as a string. */
export async function readAll(stream: Readable | null): Promise<string> {
  if (stream === null) throw new Error('no stream: the slot is not a pipe');
  let out = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) out += chunk;
  return out;
}
