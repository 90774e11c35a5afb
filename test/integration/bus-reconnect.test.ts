import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { gql, serviceToken, startTestApp, subscribe, wsClient, type TestApp } from '../support/app.js';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startedUser } from '../support/verified-user.js';

const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status } }`;

/**
 * Notices published while the broker is away are lost. `app`'s Redis goes through a relay this test
 * cuts, so a verification completes exactly while its notice cannot be delivered; after the
 * reconnect, whatever relied on that notice must look again. `other` is a second replica on the same
 * database and Redis, reached directly: a change made there is announced while `app` cannot hear it.
 */
describe('after the event bus reconnects', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const redis = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy(Number(redis.port || 6379));
    redis.host = `127.0.0.1:${proxy.port}`;
    app = await startTestApp({ databaseUrl: database.url, env: { REDIS_URL: redis.toString(), REDIS_KEY_PREFIX: prefix } });
    other = await startTestApp({ databaseUrl: database.url, env: { REDIS_KEY_PREFIX: prefix } });
  });
  afterAll(async () => {
    await app?.stop();
    await other?.stop();
    await proxy?.close();
    await database?.drop();
  });

  const gate = async (userId: string) => (await gql(app, GATE, { u: userId }, await serviceToken())).data!.verifyIdentity;
  const nextReconnect = () => new Promise<void>((resolve) => {
    const off = app.bus.onReconnect(() => {
      off();
      resolve();
    });
  });

  /** Completes the user's face step (on `replica`) while `app`'s Redis is cut off, so `app` never hears of it. */
  async function passWhileBrokerIsDown(certifyId: string, verificationId: string, replica = app) {
    const reconnected = nextReconnect();
    proxy.refuse(true);
    proxy.cut();
    expect(await replica.sandbox!.complete(certifyId, 'pass')).toBe('done');
    expect((await verificationRepository.byId(app.db, verificationId))!.status).toBe('VERIFIED');
    return async () => {
      proxy.refuse(false);
      await reconnected;
    };
  }

  it('forgets cached gate answers, so the gate sees a change whose notice was lost', async () => {
    // Started and completed on the other replica: `app` learns of the change only by its notice.
    const user = await startedUser(other, 'reconnect-gate');
    expect(await gate(user.userId)).toEqual({ passed: false, reason: 'PENDING' });

    const reconnect = await passWhileBrokerIsDown(user.certifyId, user.verificationId, other);
    // No notice reached this replica's cache: it still answers what it read before.
    expect(await gate(user.userId)).toEqual({ passed: false, reason: 'PENDING' });
    await reconnect();

    expect(await gate(user.userId)).toEqual({ passed: true, reason: null });
  });

  it('makes an open verificationResult subscription re-read its record and push the change', async () => {
    const user = await startedUser(app, 'reconnect-watch');
    const client = wsClient(app, user.token);
    try {
      const watch = subscribe(client, WATCH, { id: user.verificationId });
      await watch.waitFor((events) => events.length === 1);

      const reconnect = await passWhileBrokerIsDown(user.certifyId, user.verificationId);
      expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING']);
      await reconnect();

      await watch.done;
      expect(watch.errors).toBeUndefined();
      expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    } finally {
      await client.dispose();
    }
  });
});
