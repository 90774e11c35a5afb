import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createStartGuard } from '../../src/services/start-guard.js';
import { TEST_REDIS_URL } from '../support/database.js';

const LIMITS = { perUser: 2, perIp: 100, perIdNumber: 100, windowSeconds: 60 };
const neverLocked = { lockedUntil: async () => null };
const meta = { clientIp: '203.0.113.7' };

/** A port nothing listens on: bound once to learn a free number, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function refusalOf(attempt: Promise<void>) {
  try {
    await attempt;
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : error;
  }
}

describe(createStartGuard.name, () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  it('shares one budget between guards on the same Redis and prefix', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const [a, b] = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)];
    clients.push(a, b);
    // Until a connection is ready, each guard answers from its own in-process fallback.
    await Promise.all([a, b].map((client) => new Promise((resolve) => client.once('ready', resolve))));
    const guards = [createStartGuard(neverLocked, LIMITS, { client: a, prefix }), createStartGuard(neverLocked, LIMITS, { client: b, prefix })];
    expect(await refusalOf(guards[0]!.check('user-1', 'index-1', meta))).toBeUndefined();
    expect(await refusalOf(guards[1]!.check('user-1', 'index-2', meta))).toBeUndefined();
    expect(await refusalOf(guards[0]!.check('user-1', 'index-3', meta))).toBe('RATE_LIMITED');
  });

  it('falls back to an in-process budget while Redis is unreachable', async () => {
    const client = new Redis({ host: '127.0.0.1', port: await deadPort(), maxRetriesPerRequest: 2, retryStrategy: () => 1_000 });
    client.on('error', () => {});
    clients.push(client);
    const guard = createStartGuard(neverLocked, LIMITS, { client, prefix: 'test:outage:' });
    expect(await refusalOf(guard.check('user-1', 'index-1', meta))).toBeUndefined();
    expect(await refusalOf(guard.check('user-1', 'index-2', meta))).toBeUndefined();
    expect(await refusalOf(guard.check('user-1', 'index-3', meta))).toBe('RATE_LIMITED');
    expect(client.status).not.toBe('ready');
  });

  it('answers from the in-process budget at once while Redis is not ready, rather than queueing behind the reconnect', async () => {
    // This client would hold a command forever: it queues while offline and retries without end.
    const client = new Redis({ host: '127.0.0.1', port: await deadPort(), maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: () => 1_000 });
    client.on('error', () => {});
    clients.push(client);
    const guard = createStartGuard(neverLocked, LIMITS, { client, prefix: 'test:not-ready:' });
    const answered = guard.check('user-1', 'index-1', meta).then(() => 'answered');
    const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000));
    expect(await Promise.race([answered, waited])).toBe('answered');
  });

  it('refuses a locked user before spending any budget', async () => {
    const now = new Date('2026-12-01T08:00:00Z');
    let lockedUntil: Date | null = new Date(now.getTime() + 3_600_000);
    const guard = createStartGuard({ lockedUntil: async () => lockedUntil }, LIMITS, undefined, () => now);
    for (let i = 0; i < LIMITS.perUser + 1; i++) {
      const refusal = await guard.check('user-1', `index-${i}`, meta).catch((error: DomainError) => error);
      expect(refusal).toMatchObject({ code: 'LOCKED', details: { lockedUntil: lockedUntil.toISOString(), retryAfter: 3600 } });
    }
    // Once the lock is gone, the whole per-user budget is still there.
    lockedUntil = null;
    for (let i = 0; i < LIMITS.perUser; i++) expect(await refusalOf(guard.check('user-1', `index-${i}`, meta))).toBeUndefined();
    expect(await refusalOf(guard.check('user-1', 'index-last', meta))).toBe('RATE_LIMITED');
  });

  describe('the three budgets', () => {
    const WINDOW = 600;
    const limits = { perUser: 3, perIp: 2, perIdNumber: 2, windowSeconds: WINDOW };
    let client: Redis;
    let prefix: string;
    const guardOn = () => {
      client = new Redis(TEST_REDIS_URL);
      clients.push(client);
      prefix = `test:${randomBytes(4).toString('hex')}:`;
      return new Promise<void>((resolve) => client.once('ready', () => resolve())).then(() => createStartGuard(neverLocked, limits, { client, prefix }));
    };
    const refusal = (attempt: Promise<void>) => attempt.then(() => undefined, (error: DomainError) => error);

    it('spends one point of each, under its own key and window, the number only by its blind index', async () => {
      const guard = await guardOn();
      await guard.check('user-keys', 'index-keys', { clientIp: '203.0.113.9' });
      expect(await client.get(`${prefix}rl:start:user:user-keys`)).toBe('1');
      expect(await client.get(`${prefix}rl:start:ip:203.0.113.9`)).toBe('1');
      expect(await client.get(`${prefix}rl:start:id:index-keys`)).toBe('1');
      const ttl = await client.pttl(`${prefix}rl:start:id:index-keys`);
      expect(ttl).toBeGreaterThan((WINDOW - 5) * 1000);
      expect(ttl).toBeLessThanOrEqual(WINDOW * 1000);
    });

    it('refuses past the per-IP budget whoever the user, with the seconds left, and groups an IPv6 /64', async () => {
      const guard = await guardOn();
      await guard.check('ip-a', 'index-a', { clientIp: '2001:db8:1:2::10' });
      await guard.check('ip-b', 'index-b', { clientIp: '2001:db8:1:2:ffff::1' });
      const refused = await refusal(guard.check('ip-c', 'index-c', { clientIp: '2001:db8:1:2::99' }));
      expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
      expect((refused!.details as { retryAfter: number }).retryAfter).toBeGreaterThan(WINDOW - 5);
      expect((refused!.details as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(WINDOW);
      expect(await client.get(`${prefix}rl:start:ip:2001:db8:1:2::/64`)).toBe('3');
      expect(await refusal(guard.check('ip-d', 'index-d', { clientIp: '2001:db8:1:3::1' }))).toBeUndefined();
    });

    it('refuses past the per-number budget across accounts and addresses', async () => {
      const guard = await guardOn();
      await guard.check('id-a', 'index-shared', { clientIp: '198.51.100.1' });
      await guard.check('id-b', 'index-shared', { clientIp: '198.51.100.2' });
      expect(await refusal(guard.check('id-c', 'index-shared', { clientIp: '198.51.100.3' }))).toMatchObject({ code: 'RATE_LIMITED' });
      expect(await refusal(guard.check('id-c', 'index-other', { clientIp: '198.51.100.3' }))).toBeUndefined();
    });

    it('skips the per-IP budget when no client address is known, and stops at the first budget that refuses', async () => {
      const guard = await guardOn();
      for (let i = 0; i < 3; i++) await guard.check('no-ip', `index-no-ip-${i}`, {});
      expect(await client.keys(`${prefix}rl:start:ip:*`)).toEqual([]);
      expect(await refusal(guard.check('no-ip', 'index-untouched', {}))).toMatchObject({ code: 'RATE_LIMITED' });
      expect(await client.exists(`${prefix}rl:start:id:index-untouched`)).toBe(0);
    });
  });
});
