import 'reflect-metadata';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, consents, faceImages, verifications } from '../../src/db/schema.js';
import { verifyAuditChain } from '../../src/services/audit-log.js';
import { RetentionService } from '../../src/services/retention.service.js';
import { gql, startTestApp, type TestApp } from '../support/app.js';
import { startedUser, verifiedUser } from '../support/verified-user.js';

const DAY_MS = 86_400_000;

describe(RetentionService.name, () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      env: { FAILED_RETENTION_DAYS: '90', FACE_IMAGE_RETENTION_DAYS: '1', START_LIMIT_PER_IP: '1000' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const purgeAt = (daysFromNow: number) => new RetentionService(app.db, { failedRetentionDays: 90 }, () => new Date(Date.now() + daysFromNow * DAY_MS)).purge();
  const row = async (id: string) => (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;
  const consentOf = async (id: string) => (await app.db.select().from(consents).where(eq(consents.id, (await row(id)).consentId!)))[0]!;

  async function failedAttempt(userId: string) {
    const user = await startedUser(app, userId);
    await app.sandbox!.complete(user.certifyId, 'fail');
    return user;
  }
  /** Abandoned: the reconciler closes it once its certifyUrl has expired. */
  async function expiredAttempt(userId: string) {
    const user = await startedUser(app, userId);
    aheadMs = 31 * 60_000;
    try {
      await app.services.results.reconcile();
    } finally {
      aheadMs = 0;
    }
    expect((await row(user.verificationId)).status).toBe('EXPIRED');
    return user;
  }
  async function canceledAttempt(userId: string) {
    const user = await startedUser(app, userId);
    await gql(app, `mutation($id: ID!) { cancelVerification(id: $id) { status } }`, { id: user.verificationId }, user.token);
    return user;
  }

  it('erases the personal fields of failed, expired and canceled attempts past FAILED_RETENTION_DAYS, and their consent IP and user agent', async () => {
    const failed = await failedAttempt('retention-failed');
    const expired = await expiredAttempt('retention-expired');
    const canceled = await canceledAttempt('retention-canceled');
    await purgeAt(91);
    for (const user of [failed, expired, canceled]) {
      expect(await row(user.verificationId)).toMatchObject({ nameCipher: null, idNumberCipher: null, idNumberIndex: null, completedAt: expect.any(Date) });
      expect(await consentOf(user.verificationId)).toMatchObject({ clientIp: null, userAgent: null, version: expect.any(String) });
    }
  });

  it('keeps a verified attempt', async () => {
    const verified = await verifiedUser(app, 'retention-verified');
    await purgeAt(91);
    expect(await row(verified.verificationId)).toMatchObject({ status: 'VERIFIED', nameCipher: expect.any(Buffer), idNumberIndex: expect.any(String) });
  });

  it('keeps a failed attempt until the period has passed', async () => {
    const failed = await failedAttempt('retention-recent');
    await purgeAt(89);
    expect((await row(failed.verificationId)).nameCipher).toEqual(expect.any(Buffer));
  });

  it('deletes face images past their purge_after', async () => {
    const verified = await verifiedUser(app, 'retention-face');
    expect(await app.db.select().from(faceImages).where(eq(faceImages.userId, verified.userId))).toHaveLength(1);
    await purgeAt(2);
    expect(await app.db.select().from(faceImages).where(eq(faceImages.userId, verified.userId))).toEqual([]);
  });

  it('records the counts it removed in the audit chain', async () => {
    await failedAttempt('retention-audited');
    const counts = await purgeAt(91);
    const [last] = await app.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(last).toMatchObject({ action: 'retention.purged', actor: 'retention', detail: { ...counts, retentionDays: 90 } });
    expect(counts.attempts).toBeGreaterThanOrEqual(1);
    expect(await verifyAuditChain(app.db)).toMatchObject({ ok: true });
  });

  it('appends no event when nothing is due', async () => {
    await purgeAt(91);
    const before = await app.db.$count(auditEvents);
    expect(await purgeAt(91)).toEqual({ attempts: 0, consents: 0, faceImages: 0 });
    expect(await app.db.$count(auditEvents)).toBe(before);
  });
});

describe('FACE_IMAGE_RETENTION_DAYS=0', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { FACE_IMAGE_RETENTION_DAYS: '0' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('keeps no face image of a verification that passed', async () => {
    const verified = await verifiedUser(app, 'retention-no-face');
    expect((await app.db.select().from(verifications).where(eq(verifications.id, verified.verificationId)))[0]!.status).toBe('VERIFIED');
    expect(await app.db.select().from(faceImages).where(eq(faceImages.userId, verified.userId))).toEqual([]);
  });
});
