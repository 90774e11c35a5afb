import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { gql, serviceToken, startTestApp, subscribe, wsClient, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startedUser } from '../support/verified-user.js';

const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status } }`;

/**
 * Notices published while the broker is away are lost. The app's Redis goes through a relay this
 * test cuts, so a verification completes exactly while its notice cannot be delivered; after the
 * reconnect, whatever relied on that notice must look again.
 */
describe('after the event bus reconnects', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let app: TestApp;
  beforeAll(async () => {
    const redis = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy(Number(redis.port || 6379));
    redis.host = `127.0.0.1:${proxy.port}`;
    app = await startTestApp({ env: { REDIS_URL: redis.toString() } });
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
  });

  const gate = async (userId: string) => (await gql(app, GATE, { u: userId }, await serviceToken())).data!.verifyIdentity;
  const nextReconnect = () => new Promise<void>((resolve) => {
    const off = app.bus.onReconnect(() => {
      off();
      resolve();
    });
  });

  /** Completes the user's face step while Redis is cut off, so the change notice is lost. */
  async function passWhileBrokerIsDown(certifyId: string, verificationId: string) {
    const reconnected = nextReconnect();
    proxy.refuse(true);
    proxy.cut();
    expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');
    expect((await verificationRepository.byId(app.db, verificationId))!.status).toBe('VERIFIED');
    return async () => {
      proxy.refuse(false);
      await reconnected;
    };
  }

  it('forgets cached gate answers, so the gate sees a change whose notice was lost', async () => {
    const user = await startedUser(app, 'reconnect-gate');
    expect(await gate(user.userId)).toEqual({ passed: false, reason: 'PENDING' });

    const reconnect = await passWhileBrokerIsDown(user.certifyId, user.verificationId);
    // No notice reached the cache: it still answers what it read before.
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
