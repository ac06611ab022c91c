/**
 * Assertions shared by the test files.
 */

/** rejection resolves with the reason a promise rejected with, or fails if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected the run to reject');
}
