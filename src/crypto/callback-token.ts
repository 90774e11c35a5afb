import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The per-verification secret Aliyun echoes in its callback. Only its hash is stored, so a leaked
 * table does not let anyone trigger a callback.
 */
export const newCallbackToken = () => randomBytes(32).toString('base64url');

export const hashCallbackToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant time, and as slow for an unknown verification (no stored hash) as for a wrong token. */
export function callbackTokenMatches(storedHash: string | null | undefined, token: string): boolean {
  const expected = Buffer.from(storedHash ?? '0'.repeat(64), 'hex');
  const given = Buffer.from(hashCallbackToken(token), 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given) && !!storedHash;
}
