import { defineConfig } from 'vitest/config';

// Every test file runs in its own forked process: the thief addon installs signal handlers and
// reaper threads that must not outlive the file that started them, and leak checks read /proc/self.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    isolate: true,
    testTimeout: 60_000,
    // The package is loaded by Node itself, as its users load it: through
    // esm/index.mjs and the CommonJS build, never transformed.
    server: { deps: { external: [/\/dist\/cjs\//, /\/esm\/index\.mjs$/] } },
    hookTimeout: 120_000,
  },
});
