import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { waitUntil } from './support/ports.js';
import { startPrivateRedis, type PrivateRedis } from './support/redis-server.js';
import { startVerification } from '../support/verified-user.js';

const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;

describe('Redis stopped and restarted mid-flow', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redis.url, START_LIMIT_PER_USER: '2', START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.close();
  });

  async function start(userId: string, idCardNumber = validIdNumber()) {
    const token = await tokenFor(userId);
    const res = await startVerification(app, token, { idCardNumber });
    return { token, res };
  }

  async function outage<T>(during: () => Promise<T>): Promise<T> {
    await redis.stop();
    try {
      return await during();
    } finally {
      await redis.start();
      await waitUntil('the service to reconnect', async () => (await fetch(`${app.url}/readyz`)).ok);
    }
  }

  it('keeps answering the letter gate from PostgreSQL', async () => {
    const { res } = await start('redis-gate');
    await app.sandbox!.complete(res.data!.startVerification.certifyId, 'pass');
    const gate = await outage(async () => gql(app, GATE, { u: 'redis-gate' }, await serviceToken()));
    expect(gate.data!.verifyIdentity).toEqual({ passed: true, reason: null });
  });

  it('settles a callback while Redis is down and pushes it to a subscriber once Redis is back', async () => {
    const { token, res } = await start('redis-watch');
    const { id, certifyId } = res.data!.startVerification;
    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id });
    await watch.waitFor((e) => e.length === 1);

    await outage(async () => {
      expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');
      expect(app.sandbox!.callbacks.at(-1)).toMatchObject({ ok: true });
    });
    await watch.done;
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();
  });

  it('gives a resubscribing client the current state first', async () => {
    const { token, res } = await start('redis-resubscribe');
    const { id, certifyId } = res.data!.startVerification;
    const first = wsClient(app, token);
    const before = subscribe(first, WATCH, { id });
    await before.waitFor((e) => e.length === 1);

    await outage(async () => {
      await first.dispose(); // the client lost its socket during the outage
      await app.sandbox!.complete(certifyId, 'pass');
    });
    const again = wsClient(app, token);
    const after = subscribe(again, WATCH, { id });
    await after.done;
    expect(after.events.map((e) => e.verificationResult.status)).toEqual(['VERIFIED']);
    await again.dispose();
  });

  it('drops the channel of a subscriber that left while Redis was down', async () => {
    const { token, res } = await start('redis-orphan');
    const { id } = res.data!.startVerification;
    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id });
    await watch.waitFor((e) => e.length === 1);
    await outage(async () => client.dispose());

    const channel = `${app.config.REDIS_KEY_PREFIX}verificationResult:${id}`;
    const probe = new Redis(redis.url);
    try {
      await waitUntil('the channel to be unsubscribed', async () => {
        const [, subscribers] = (await probe.pubsub('NUMSUB', channel)) as [string, number];
        return subscribers === 0;
      });
    } finally {
      probe.disconnect();
    }
  });

  it('falls back to per-replica budgets: starts go on, and the per-user limit still holds', async () => {
    const outcomes = await outage(async () => {
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { res } = await start('redis-limits');
        codes.push(res.errors?.[0]?.extensions?.code ?? res.data!.startVerification.status);
      }
      return codes;
    });
    expect(outcomes).toEqual(['PENDING', 'PENDING', 'RATE_LIMITED']);
  });

  it('refuses a new subscription with SERVICE_UNAVAILABLE while Redis is down', async () => {
    const { token, res } = await start('redis-refused');
    const client = wsClient(app, token);
    const watch = await outage(async () => {
      const refused = subscribe(client, WATCH, { id: res.data!.startVerification.id });
      await refused.done;
      return refused;
    });
    expect((watch.errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    await client.dispose();
  });

  it('serves subscriptions and publishes again after the restart', async () => {
    const { token, res } = await start('redis-after');
    const { id, certifyId } = res.data!.startVerification;
    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id });
    await watch.waitFor((e) => e.length === 1);
    await app.sandbox!.complete(certifyId, 'pass');
    await watch.done;
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();
  });
});
