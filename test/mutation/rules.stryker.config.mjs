// @ts-check
import { strykerOptions } from './stryker.base.mjs';

/**
 * The pure rules — ID numbers, masking, statuses, errors, envelope encryption, the blind index, and
 * how cloudauth's codes map to ours — against the unit tests only: a rule a unit test cannot pin
 * belongs in a unit test, and this keeps a full run to minutes.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  ...strykerOptions('rules'),
  mutate: ['src/domain/**/*.ts', 'src/crypto/**/*.ts', 'src/providers/aliyun/subcodes.ts'],
};
