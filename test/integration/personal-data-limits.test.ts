import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createPersonalDataLimiter } from '../../src/services/personal-data-limits.js';
import { gql, startTestApp, tokenFor, type GraphQLResponse, type TestApp } from '../support/app.js';

/** exportMyData and deleteMyData each spend a per-user budget (PERSONAL_DATA_LIMIT_PER_USER per window). */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { PERSONAL_DATA_LIMIT_PER_USER: '2' } });
});
afterAll(() => app?.stop());

const EXPORT = `query { exportMyData { userId } }`;
const DELETE = `mutation { deleteMyData { userId } }`;
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code ?? 'data';

describe.each([
  ['exportMyData', EXPORT],
  ['deleteMyData', DELETE],
])('%s', (_name, operation) => {
  it('refuses a user beyond the budget with RATE_LIMITED and retryAfter, others unaffected', async () => {
    const token = await tokenFor(`pd-limit-${operation.length}`);
    expect(codeOf(await gql(app, operation, {}, token))).toBe('data');
    expect(codeOf(await gql(app, operation, {}, token))).toBe('data');
    const refused = await gql(app, operation, {}, token);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(codeOf(await gql(app, operation, {}, await tokenFor(`pd-limit-other-${operation.length}`)))).toBe('data');
  });
});

describe(createPersonalDataLimiter.name, () => {
  const WINDOW = 600;
  const prefix = `test:pdl:${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    await redis.ping(); // ready: a limiter on a client not yet ready answers from its in-process insurance
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const refusal = (promise: Promise<void>) => promise.then(() => undefined, (error: DomainError) => error);

  it.each([
    ['shared through Redis', () => ({ client: redis, prefix })],
    ['in process', () => undefined],
  ])('%s: exactly perUser uses a window, then RATE_LIMITED with the seconds left; each action and user its own budget', async (_where, store) => {
    const limit = createPersonalDataLimiter({ perUser: 2, windowSeconds: WINDOW }, store());
    await limit('pdl-user', 'export');
    await limit('pdl-user', 'export');
    if (store()) expect(await redis.get(`${prefix}rl:personal-data:export:pdl-user`)).toBe('2');
    const refused = await refusal(limit('pdl-user', 'export'));
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: expect.any(Number) } });
    const { retryAfter } = refused!.details as { retryAfter: number };
    expect(retryAfter).toBeGreaterThan(WINDOW - 5);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW);
    expect(await refusal(limit('pdl-user', 'delete'))).toBeUndefined();
    expect(await refusal(limit('pdl-other', 'export'))).toBeUndefined();
  });

  it("keeps each budget under the deployment's prefix, for the window", async () => {
    const limit = createPersonalDataLimiter({ perUser: 3, windowSeconds: WINDOW }, { client: redis, prefix });
    await limit('pdl-keys', 'delete');
    expect(await redis.get(`${prefix}rl:personal-data:delete:pdl-keys`)).toBe('1');
    expect(await redis.exists(`${prefix}rl:personal-data:export:pdl-keys`)).toBe(0);
    const ttl = await redis.pttl(`${prefix}rl:personal-data:delete:pdl-keys`);
    expect(ttl).toBeGreaterThan((WINDOW - 5) * 1000);
    expect(ttl).toBeLessThanOrEqual(WINDOW * 1000);
  });

  it('answers at once while Redis is not ready, rather than queueing behind the reconnect', async () => {
    const away = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: () => 1_000 });
    away.on('error', () => {});
    try {
      const limit = createPersonalDataLimiter({ perUser: 1, windowSeconds: WINDOW }, { client: away, prefix });
      const answered = limit('pdl-queued', 'export').then(() => 'answered');
      const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000));
      expect(await Promise.race([answered, waited])).toBe('answered');
    } finally {
      away.disconnect();
    }
  });

  it('still limits, in process, while Redis is not ready', async () => {
    const away = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const limit = createPersonalDataLimiter({ perUser: 1, windowSeconds: WINDOW }, { client: away, prefix });
      await limit('pdl-away', 'export');
      expect(await refusal(limit('pdl-away', 'export'))).toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      away.disconnect();
    }
  });
});
