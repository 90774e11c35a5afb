import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:faults`: outages, races, hostile input and the soak (test/faults). They start
 * private Redis and PostgreSQL servers and child processes, so they run one file at a time and
 * are allowed longer than the default suite. SOAK_SECONDS sets the soak's length (30 by default).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/faults/**/*.test.ts'],
    exclude: configDefaults.exclude,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
