import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../../src/db/schema.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { gql, startTestApp, type TestApp } from '../support/app.js';
import { operatorToken } from '../support/operator.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';
import { TEST_WEBHOOK_SECRET } from '../support/webhook-receiver.js';

const DAY_MS = 86_400_000;
const META = { clientIp: '203.0.113.9', userAgent: 'WeiAiBang/1.0 (integration test)' };
const DOCUMENT_REVIEW = {
  documentType: 'TAIWAN_TRAVEL_PERMIT',
  realName: '林志明',
  documentNumber: '76543210',
  consentVersion: CONSENT_TERMS.version,
  reviewConsent: true,
} as const;

/** IDENTITY_VALIDITY_DAYS=60 with the renewal window at 30 days, and a clock the tests move forward. */
describe('the daily lifecycle sweep', () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      // Nothing listens there: this file is about what is written to the outbox, not delivered.
      env: { IDENTITY_VALIDITY_DAYS: '60', IDENTITY_RENEWAL_DAYS: '30', WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, START_LIMIT_PER_IP: '1000' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
  });
  afterEach(() => {
    aheadMs = 0;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const sweep = () => app.services.webhooks.sweepLifecycle();
  const lifecycleEvents = async (userIds: string[]) =>
    (await app.db.select().from(webhookEvents).where(and(inArray(webhookEvents.userId, userIds), inArray(webhookEvents.type, ['identity.renewable', 'identity.expired']))))
      .map((e) => ({ userId: e.userId, type: e.type, data: JSON.parse(e.body).data }))
      .sort((a, b) => `${a.userId}${a.type}`.localeCompare(`${b.userId}${b.type}`));

  it('tells once when an identity enters its renewal window, and once when it has expired', async () => {
    const user = await verifiedUser(app, 'sweep-once');
    const [verified] = await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, user.userId));
    const expiresAt = JSON.parse(verified!.body).data.expiresAt as string;

    aheadMs = 29 * DAY_MS;
    await sweep();
    expect(await lifecycleEvents([user.userId])).toEqual([]);

    aheadMs = 31 * DAY_MS;
    await sweep();
    await sweep();
    aheadMs = 45 * DAY_MS;
    await sweep();
    expect(await lifecycleEvents([user.userId])).toEqual([{ userId: user.userId, type: 'identity.renewable', data: { expiresAt } }]);

    aheadMs = 61 * DAY_MS;
    await sweep();
    aheadMs = 62 * DAY_MS;
    await sweep();
    expect(await lifecycleEvents([user.userId])).toEqual([
      { userId: user.userId, type: 'identity.expired', data: { expiredAt: expiresAt } },
      { userId: user.userId, type: 'identity.renewable', data: { expiresAt } },
    ]);
  });

  it('never calls an identity from a document review renewable (no face check can renew it), but tells when it expires', async () => {
    const opened = await app.services.reviews.requestDocument({ kind: 'user', userId: 'sweep-document' }, DOCUMENT_REVIEW, META);
    await app.services.reviews.decide({ kind: 'operator', operatorId: 'op-sweep' }, opened.id, 'APPROVE', '核对无误');
    aheadMs = 31 * DAY_MS;
    await sweep();
    aheadMs = 61 * DAY_MS;
    await sweep();
    expect((await lifecycleEvents(['sweep-document'])).map((e) => e.type)).toEqual(['identity.expired']);
  });

  it('tells again in the next validity period, once the identity was verified anew', async () => {
    const user = await verifiedUser(app, 'sweep-next-period');
    aheadMs = 31 * DAY_MS;
    await sweep();
    aheadMs = 61 * DAY_MS;
    await sweep();
    const again = await startVerification(app, user.token, { realName: user.name, idCardNumber: user.idCardNumber });
    expect(await app.sandbox!.complete(again.data!.startVerification.certifyId, 'pass')).toBe('done');
    aheadMs = (61 + 31) * DAY_MS;
    await sweep();
    const events = await lifecycleEvents([user.userId]);
    expect(events.map((e) => e.type)).toEqual(['identity.expired', 'identity.renewable', 'identity.renewable']);
    expect(new Set(events.filter((e) => e.type === 'identity.renewable').map((e) => e.data.expiresAt)).size).toBe(2);
  });

  it('says nothing of identities already revoked: denied, or released', async () => {
    const operator = await operatorToken();
    const denied = await verifiedUser(app, 'sweep-denied');
    const released = await verifiedUser(app, 'sweep-released');
    expect((await gql(app, `mutation($u: ID!) { denyUser(userId: $u, reason: "冒用") { changed } }`, { u: denied.userId }, operator)).errors).toBeUndefined();
    expect((await gql(app, `mutation($u: ID!) { releaseIdentity(userId: $u, reason: "被盗用") { status } }`, { u: released.userId }, operator)).errors).toBeUndefined();
    aheadMs = 31 * DAY_MS;
    await sweep();
    aheadMs = 61 * DAY_MS;
    await sweep();
    expect(await lifecycleEvents([denied.userId, released.userId])).toEqual([]);
  });

  it('does not revoke twice: denying the account of an identity already denied by its number', async () => {
    const operator = await operatorToken();
    const user = await verifiedUser(app, 'sweep-double-deny');
    const deny = (mutation: string, variables: Record<string, string>) => gql(app, mutation, variables, operator);
    expect((await deny(`mutation($n: String!) { denyIdNumber(idCardNumber: $n, reason: "冒用") { changed } }`, { n: user.idCardNumber })).errors).toBeUndefined();
    expect((await deny(`mutation($u: ID!) { denyUser(userId: $u, reason: "冒用") { changed } }`, { u: user.userId })).errors).toBeUndefined();
    const revoked = await app.db.select().from(webhookEvents).where(and(eq(webhookEvents.userId, user.userId), eq(webhookEvents.type, 'identity.revoked')));
    expect(revoked.map((e) => JSON.parse(e.body).data)).toEqual([{ reason: 'DENIED' }]);
  });
});
