import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:ops`: what runs the service as operations would — Debian's nginx with
 * deploy/nginx/realname.conf in front of two replicas, and the Docker image built and run. Minutes,
 * not seconds, so apart from `npm test`; .ci/run runs it.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/ops/**/*.test.ts'],
    exclude: configDefaults.exclude,
    globalSetup: [base.test?.globalSetup ?? [], 'test/ops/tls.ts'].flat(),
    testTimeout: 180_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
