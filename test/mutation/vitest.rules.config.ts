import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/** The tests each mutant of the pure rules meets (test/mutation/rules.stryker.config.mjs). */
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { ...base.test, include: ['test/unit/**/*.test.ts'], exclude: configDefaults.exclude },
});
