import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // type-graphql and Apollo load graphql's CommonJS entry; tests must share that one copy or
    // graphql throws "another module or realm".
    // The client package is tested from its sources (its `exports` point at a build).
    alias: { graphql: require.resolve('graphql'), '@weiaibang/realname-client': fileURLToPath(new URL('packages/client/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Outages, races, fuzzing and the soak take minutes: `npm run test:faults` (vitest.faults.config.ts).
    // The nginx and Docker image tests: `npm run test:ops` (vitest.ops.config.ts).
    exclude: [...configDefaults.exclude, 'test/faults/**', 'test/ops/**'],
    setupFiles: ['test/setup.ts'],
    // Builds dist/ once: tests that spawn the service run what `npm start` runs.
    globalSetup: ['test/support/dist.ts'],
    testTimeout: 30_000,
    // How long expect.poll waits for a page or a server to come round: on a loaded 2-core CI machine
    // a browser round trip can take seconds. A limit, not a speed assertion.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
