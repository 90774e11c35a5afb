// @ts-check
import { strykerOptions } from './stryker.base.mjs';

/**
 * The services, where the rules meet storage, the bus and the provider: against the unit and
 * integration tests (real PostgreSQL and Redis, the sandbox over HTTP).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  ...strykerOptions('services'),
  mutate: ['src/services/**/*.ts'],
};
