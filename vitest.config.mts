import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { scaled } from './test/helpers/time.mts';

// The addon built with the FreeBSD backend's real sources over the Linux emulation of process
// descriptors (test/helpers/build.ts builds it; node-gyp-build loads it from this directory).
const freebsdEmulated = path.join(import.meta.dirname, 'build', 'test-helpers', 'freebsd-emulated');
const noNativeBuild = path.join(import.meta.dirname, 'build', 'test-helpers', 'no-native-build');
// Each of these two projects loads the addon it names, never the one PRIVATE_PROCESS_TEST_ADDON
// gives the native project (the sanitized build, in npm run test:sanitize): it is set empty there.
// The Linux backend's own probe on degraded kernels, and the addon's handling of exhausted resources
// (its steps, its table, rlimits set through a native helper): not behaviours of the other backends.
const linuxOnly = ['test/conformance/degraded.test.ts', 'test/conformance/exhaustion.test.ts'];

// Every test file runs in its own forked process: the thief addon installs signal handlers and
// reaper threads that must not outlive the file that started them, and leak checks read /proc/self.
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    isolate: true,
    // Stretched under emulation (PP_TEST_TIME_SCALE, set by the kernel runner).
    testTimeout: scaled(60_000),
    // The package is loaded by Node itself, as its users load it: through
    // esm/index.mjs and the CommonJS build, never transformed.
    server: { deps: { external: [/\/dist\/cjs\//, /\/esm\/index\.mjs$/] } },
    hookTimeout: scaled(120_000),
    projects: [
      { extends: true, test: { name: 'native', include: ['test/**/*.test.ts'] } },
      {
        // The whole conformance suite again, against the FreeBSD backend emulated on Linux, and the
        // fallback as it is built there and on macOS (exits watched through a kqueue).
        extends: true,
        test: {
          name: 'freebsd-emulated',
          include: ['test/conformance/**/*.test.ts'],
          exclude: linuxOnly,
          env: {
            PRIVATE_PROCESS_PREBUILD: freebsdEmulated,
            PRIVATE_PROCESS_TEST_ADDON: '',
            PRIVATE_PROCESS_TEST_BACKENDS: 'freebsd,fallback',
          },
        },
      },
      {
        // And against the portable backend (the one Windows gets), with no addon loaded at all, as on
        // a platform without a native build: node-gyp-build is pointed at a directory with none.
        extends: true,
        test: {
          name: 'portable',
          include: ['test/conformance/**/*.test.ts'],
          exclude: linuxOnly,
          env: {
            PRIVATE_PROCESS_PREBUILD: noNativeBuild,
            PRIVATE_PROCESS_TEST_ADDON: '',
            PRIVATE_PROCESS_TEST_BACKENDS: 'portable',
            // Every process here runs the portable backend on purpose: the warning that says so
            // (test/unit/degraded-backend.test.ts) would only fill the fixtures' stderr.
            NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=PRIVATE_PROCESS_DEGRADED']
              .filter(Boolean)
              .join(' '),
          },
        },
      },
    ],
  },
});
