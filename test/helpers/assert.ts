/**
 * Assertions shared by the test files.
 */
import { scaled } from './time.mjs';

/** rejection resolves with the reason a promise rejected with, or fails if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected the run to reject');
}

/**
 * within resolves or rejects as p does, or rejects saying that `what` never happened when p is
 * still pending after a generous deadline, stretched by `scaled()`: it turns a hang into a failure
 * and is never a timing assertion.
 */
export async function within<T>(p: Promise<T>, what: string, deadlineMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${scaled(deadlineMs)} ms`)), scaled(deadlineMs));
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}
