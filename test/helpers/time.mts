/**
 * The one place where tests stretch their own deadlines. Under emulation (the kernel runner boots
 * a real older kernel under qemu without hardware acceleration, where spawning is 30-45x slower)
 * every internal timeout and safety deadline must grow with the machine's slowness, and vitest's
 * `--testTimeout` does not reach them. The runner sets `PP_TEST_TIME_SCALE`; nothing else does.
 */

/** timeScale is `PP_TEST_TIME_SCALE` as a number >= 1, or 1 when it is unset or not a number. */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const scale = Number(env.PP_TEST_TIME_SCALE);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

/**
 * scaled stretches a deadline in milliseconds by `timeScale()`. Use it for every safety net that
 * guards against a hang (a child's own timeout, a polling deadline): never for a timing assertion,
 * which no test may make.
 */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}

/**
 * scaledCount is how many children a stress test starts: `n` on real hardware, `n / timeScale()`
 * under emulation (never fewer than 50, nor more than `n`), so that a run on an emulated kernel fits
 * in CI's time. Every child still meets the hazard the test sets up; fewer of them race at once.
 */
export function scaledCount(n: number): number {
  return Math.max(Math.min(n, 50), Math.round(n / timeScale()));
}
