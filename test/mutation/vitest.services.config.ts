import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * The tests each mutant of the services meets (test/mutation/services.stryker.config.mjs). Not the
 * e2e tests: they start child processes and Chromium, which never see Stryker's active mutant.
 * A longer test timeout than `npm test`'s: `keys:rotate` rebuilds dist/ in Stryker's sandbox, at
 * nice 19 on two shared cores, before the initial run may go on.
 */
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { ...base.test, include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], exclude: configDefaults.exclude, testTimeout: 180_000 },
});
