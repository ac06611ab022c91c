/**
 * cleanEnv is this process's environment without the package's settings that the run of the
 * suite may have set (the test-only addon override of the sanitizer run, a forced backend, strict
 * mode): a child given it loads and picks a backend as a user's program does.
 */
export function cleanEnv(): Record<string, string | undefined> {
  const {
    PRIVATE_PROCESS_TEST_ADDON: _addon,
    PRIVATE_PROCESS_BACKEND: _backend,
    PRIVATE_PROCESS_STRICT: _strict,
    ...env
  } = process.env;
  return env;
}
