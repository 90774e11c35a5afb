import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/pubsub/event-bus.js';
import { VerificationWatch } from '../../src/services/verification-watch.js';
import { serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { startVerification } from '../support/verified-user.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;

describe('verificationResult subscription', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function startPending(userId: string) {
    const token = await tokenFor(userId);
    const res = await startVerification(app, token);
    return { token, ...(res.data!.startVerification as { id: string; certifyId: string }) };
  }

  async function watchAs(token: string, id: string) {
    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id });
    return { client, watch, statuses: () => watch.events.map((e) => e.verificationResult.status) };
  }

  const codesOf = (errors: unknown) => (errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code);

  it("refuses another user's verification with NOT_FOUND", async () => {
    const { id } = await startPending('watch-owner');
    const { client, watch } = await watchAs(await tokenFor('watch-intruder'), id);
    await watch.done;
    expect(watch.events).toEqual([]);
    expect(codesOf(watch.errors)).toEqual(['NOT_FOUND']);
    await client.dispose();
  });

  it('refuses an unknown id with NOT_FOUND', async () => {
    const { client, watch } = await watchAs(await tokenFor('watch-unknown'), '00000000-0000-4000-8000-000000000000');
    await watch.done;
    expect(codesOf(watch.errors)).toEqual(['NOT_FOUND']);
    await client.dispose();
  });

  it('lets a service token follow any verification to its end', async () => {
    const { id, certifyId } = await startPending('watch-by-service');
    const { client, watch, statuses } = await watchAs(await serviceToken(), id);
    await watch.waitFor((events) => events.length === 1);
    await app.sandbox!.complete(certifyId, 'pass');
    await watch.done;
    expect(statuses()).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();
  });

  it('yields a finished verification once and completes', async () => {
    const { token, id, certifyId } = await startPending('watch-finished');
    await app.sandbox!.complete(certifyId, 'fail');
    const { client, watch, statuses } = await watchAs(token, id);
    await watch.done;
    expect(statuses()).toEqual(['FAILED']);
    await client.dispose();
  });

  it('ends VERIFIED for every subscriber, whichever of subscription and callback comes first', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const { token, id, certifyId } = await startPending(`watch-race-${i}`);
        const [subscription] = await Promise.all([sleep(i * 25).then(() => watchAs(token, id)), app.sandbox!.complete(certifyId, 'pass')]);
        return subscription;
      }),
    );
    for (const { client, watch, statuses } of runs) {
      await watch.done;
      expect(statuses().at(-1)).toBe('VERIFIED');
      expect(['PENDING,VERIFIED', 'VERIFIED']).toContain(statuses().join());
      await client.dispose();
    }
  });

  describe('against the callback', () => {
    // A bus that lands the provider's callback at one exact point of the broker subscription's set-up.
    const landingCallback = (land: () => Promise<void>, when: 'before' | 'after'): EventBus => ({
      ...app.bus,
      listen: async (topic, key, onMessage) => {
        if (when === 'before') await land();
        const unlisten = await app.bus.listen(topic, key, onMessage);
        if (when === 'after') await land();
        return unlisten;
      },
    });

    it.each(['before', 'after'] as const)('sees a callback that lands just %s the broker subscription is live', async (when) => {
      const userId = `watch-window-${when}`;
      const { id, certifyId } = await startPending(userId);
      const land = async () => void expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');
      const watch = new VerificationWatch(app.db, landingCallback(land, when));
      const statuses: string[] = [];
      for await (const row of await watch.watch({ kind: 'user', userId }, id)) statuses.push(row.status);
      expect(statuses).toEqual(['VERIFIED']);
    });
  });
});
