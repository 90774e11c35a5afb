import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denylist, identities, webhookEvents } from '../../src/db/schema.js';
import { WebhookOutbox } from '../../src/services/webhook-outbox.js';
import { startTestApp, TEST_INDEX_KEY, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/verified-user.js';
import { BlindIndex } from '../../src/crypto/blind-index.js';

const HOUR_MS = 3_600_000;
const NOW = new Date('2026-12-03T03:00:00.000Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What a change writes beside itself for the letter platform, in the caller's transaction. */
describe(WebhookOutbox.name, () => {
  let app: TestApp;
  const on = new WebhookOutbox({ maxAgeHours: 6 });
  const off = new WebhookOutbox(undefined);
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });
  const eventsOf = (...userIds: string[]) => app.db.select().from(webhookEvents).where(inArray(webhookEvents.userId, userIds));

  it('writes nothing while webhooks are off, whatever it is asked', async () => {
    const user = await verifiedUser(app, 'outbox-off');
    expect(off.giveUpAt(NOW)).toBeUndefined();
    expect(await off.record(app.db, { type: 'review.decided', userId: 'outbox-off', data: { caseId: 'c', decision: 'APPROVED' } }, NOW)).toBe(false);
    await off.recordRevocations(app.db, [user.userId], 'RELEASED', NOW);
    expect(await eventsOf('outbox-off')).toEqual([]);
  });

  it('stores the exact body it will send, due now, given up WEBHOOK_MAX_AGE_HOURS later', async () => {
    expect(on.giveUpAt(NOW)).toEqual(new Date(NOW.getTime() + 6 * HOUR_MS));
    expect(await on.recordReviewDecided(app.db, { userId: 'outbox-body', caseId: 'case-1', decision: 'REJECTED' }, NOW)).toBe(true);
    const [row] = await eventsOf('outbox-body');
    expect(row).toMatchObject({ type: 'review.decided', userId: 'outbox-body', occurredAt: NOW, nextAttemptAt: NOW, giveUpAt: new Date(NOW.getTime() + 6 * HOUR_MS), status: 'PENDING', attempts: 0, dedupeKey: null });
    expect(row!.id).toMatch(UUID);
    expect(row!.body).toBe(JSON.stringify({ id: row!.id, type: 'review.decided', occurredAt: NOW.toISOString(), userId: 'outbox-body', data: { caseId: 'case-1', decision: 'REJECTED' } }));
  });

  it('says identity.verified with the verification and the expiry', async () => {
    const expiresAt = new Date(NOW.getTime() + 365 * 24 * HOUR_MS);
    await on.recordIdentityVerified(app.db, { userId: 'outbox-verified', verificationId: 'v-1', expiresAt }, NOW);
    const [row] = await eventsOf('outbox-verified');
    expect(JSON.parse(row!.body)).toMatchObject({ type: 'identity.verified', data: { verificationId: 'v-1', expiresAt: expiresAt.toISOString() } });
  });

  it('writes one event per dedupe key: a repeat is no insert and answers false', async () => {
    const event = { type: 'identity.expired' as const, userId: 'outbox-dedupe', data: { expiredAt: NOW.toISOString() }, dedupeKey: 'identity.expired:outbox-dedupe:1' };
    expect(await on.record(app.db, event, NOW)).toBe(true);
    expect(await on.record(app.db, event, new Date(NOW.getTime() + 1000))).toBe(false);
    const rows = await eventsOf('outbox-dedupe');
    expect(rows.map((r) => [r.dedupeKey, r.occurredAt])).toEqual([['identity.expired:outbox-dedupe:1', NOW]]);
  });

  it('commits or rolls back with the change it belongs to', async () => {
    await app.db
      .transaction(async (tx) => {
        await on.record(tx, { type: 'review.decided', userId: 'outbox-rollback', data: { caseId: 'c', decision: 'APPROVED' } }, NOW);
        throw new Error('the change failed');
      })
      .catch(() => {});
    expect(await eventsOf('outbox-rollback')).toEqual([]);
  });

  describe('recordRevocations', () => {
    it('tells identity.revoked, with the reason, only for identities valid up to the change', async () => {
      const [valid, expired] = [await verifiedUser(app, 'revoke-valid'), await verifiedUser(app, 'revoke-expired')];
      await app.db.update(identities).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(identities.userId, expired.userId));
      await on.recordRevocations(app.db, [valid.userId, expired.userId, 'revoke-never-verified'], 'ERASED', new Date());
      const rows = await eventsOf(valid.userId, expired.userId, 'revoke-never-verified');
      expect(rows.map((r) => [r.userId, r.type, JSON.parse(r.body).data])).toEqual([[valid.userId, 'identity.revoked', { reason: 'ERASED' }]]);
    });

    it('skips identities already denied, except by the entry being added now', async () => {
      const index = new BlindIndex(TEST_INDEX_KEY);
      const [byAccount, byNumber] = [await verifiedUser(app, 'revoke-denied-user'), await verifiedUser(app, 'revoke-denied-number')];
      const numberIndex = index.of(byNumber.idCardNumber);
      await app.db.insert(denylist).values([
        { kind: 'USER', value: byAccount.userId, reason: '测试', createdBy: 'operator:op', createdAt: new Date() },
        { kind: 'ID_NUMBER', value: numberIndex, reason: '测试', createdBy: 'operator:op', createdAt: new Date() },
      ]);
      await on.recordRevocations(app.db, [byAccount.userId, byNumber.userId], 'DENIED', new Date());
      expect(await eventsOf(byAccount.userId, byNumber.userId)).toEqual([]);

      await on.recordRevocations(app.db, [byAccount.userId, byNumber.userId], 'DENIED', new Date(), { kind: 'ID_NUMBER', value: numberIndex });
      expect((await eventsOf(byAccount.userId, byNumber.userId)).map((r) => r.userId)).toEqual([byNumber.userId]);
    });
  });
});
