import { createHash, createHmac } from 'node:crypto';
import { checkDigit } from '../src/domain/id-card.js';

export const BENCH_JWT_SECRET = 'bench-secret-that-is-at-least-32-characters-long';
export const BENCH_MASTER_KEY = `v1:${Buffer.alloc(32, 3).toString('base64')}`;
export const BENCH_INDEX_KEY = Buffer.alloc(32, 5).toString('base64');

/** The ids the SQL seed gives to user `i` (1-based), computed the same way in JavaScript. */
export const verifiedUserId = (i: number) => `bench-u-${i}`;
export const pendingUserId = (i: number) => `bench-p-${i}`;
export const startUserId = (run: string, i: number) => `bench-s-${run}-${i}`;
export const verificationIdOf = (i: number) => md5uuid(`bench-v-${i}`);

function md5uuid(text: string) {
  const h = createHash('md5').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The k-th of a series of distinct checksum-valid numbers, born from 1970 on with sequence codes
 * 100–999, so none is one of the sandbox's magic numbers (all born 1990-01-01 or 2020 with 001–006).
 */
export function benchIdNumber(k: number): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(k / 900) * 86_400_000);
  const yyyymmdd = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `110101${yyyymmdd}${100 + (k % 900)}`;
  return first17 + checkDigit(first17);
}

export const BENCH_ISSUER = 'https://id.bench.test';
export const BENCH_AUDIENCE = 'realname';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** An HS256 bearer token, signed synchronously so a load generator can mint one per request. */
export function benchToken(subject: string, scope?: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(JSON.stringify({ sub: subject, iss: BENCH_ISSUER, aud: BENCH_AUDIENCE, iat, exp: iat + 7200, ...(scope ? { scope } : {}) })).toString('base64url');
  const signature = createHmac('sha256', BENCH_JWT_SECRET).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

export const benchServiceToken = () => benchToken('letter-backend', 'realname:service');
export const verificationIdOfPending = (i: number) => md5uuid(`bench-p-${i}`);
