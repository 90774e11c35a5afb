import 'reflect-metadata';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, consents, faceImages, identities, verifications } from '../../src/db/schema.js';
import { RetentionService } from '../../src/services/retention.service.js';
import { SANDBOX_MAGIC_IMAGES } from '../../src/providers/sandbox/magic-images.js';
import { CONSENT_VERSION, gql, startTestApp, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { operatorToken } from '../support/operator.js';
import { startedUser, startVerification, verifiedUser } from '../support/verified-user.js';

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

  const purgeAt = (daysFromNow: number) => new RetentionService(app.db, app.audit, { failedRetentionDays: 90, identityRenewalGraceDays: 30 }, () => new Date(Date.now() + daysFromNow * DAY_MS)).purge();
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
    expect(await app.audit.verify(app.db)).toMatchObject({ ok: true });
  });

  it('appends no event when nothing is due', async () => {
    await purgeAt(91);
    const before = await app.db.$count(auditEvents);
    expect(await purgeAt(91)).toEqual({ attempts: 0, identities: 0, consents: 0, faceImages: 0 });
    expect(await app.db.$count(auditEvents)).toBe(before);
  });

  it('records a purge of face images alone, with both periods', async () => {
    await purgeAt(91);
    await verifiedUser(app, 'retention-image-only');
    expect(await purgeAt(2)).toEqual({ attempts: 0, identities: 0, consents: 0, faceImages: 1 });
    const [last] = await app.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(last).toMatchObject({ action: 'retention.purged', actor: 'retention', subjectUserId: null, detail: { attempts: 0, identities: 0, consents: 0, faceImages: 1, retentionDays: 90, renewalGraceDays: 30 } });
  });

  it('goes on past full batches and counts every attempt and consent it erased', async () => {
    await purgeAt(91);
    const users = [await failedAttempt('retention-batch-1'), await canceledAttempt('retention-batch-2'), await failedAttempt('retention-batch-3')];
    const service = new RetentionService(app.db, app.audit, { failedRetentionDays: 90, identityRenewalGraceDays: 30 }, () => new Date(Date.now() + 91 * DAY_MS));
    expect(await service.purge(1)).toEqual({ attempts: 3, identities: 0, consents: 3, faceImages: 0 });
    for (const user of users) expect(await row(user.verificationId)).toMatchObject({ nameCipher: null, idNumberCipher: null, idNumberIndex: null });
  });
});

/** IDENTITY_VALIDITY_DAYS=30 and IDENTITY_RENEWAL_GRACE_DAYS=10; face images kept long enough to see them purged with the identity. */
describe('VERIFIED records', () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      env: { IDENTITY_VALIDITY_DAYS: '30', IDENTITY_RENEWAL_GRACE_DAYS: '10', FACE_IMAGE_RETENTION_DAYS: '365', START_LIMIT_PER_IP: '1000' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const purgeAt = (daysFromNow: number) => new RetentionService(app.db, app.audit, { failedRetentionDays: 90, identityRenewalGraceDays: 10 }, () => new Date(Date.now() + daysFromNow * DAY_MS)).purge();
  const row = async (id: string) => (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;
  const imagesOf = (userId: string) => app.db.select().from(faceImages).where(eq(faceImages.userId, userId));
  const purgeEvents = (userId: string) => app.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, userId), eq(auditEvents.action, 'retention.identity_purged')));
  const PURGED = { nameCipher: null, idNumberCipher: null, idNumberIndex: null };

  it('keeps the name and number of an expired identity until IDENTITY_RENEWAL_GRACE_DAYS have passed', async () => {
    const user = await verifiedUser(app, 'purge-grace');
    await purgeAt(39);
    expect(await row(user.verificationId)).toMatchObject({ status: 'VERIFIED', nameCipher: expect.any(Buffer), idNumberCipher: expect.any(Buffer) });
    expect(await imagesOf(user.userId)).toHaveLength(1);
  });

  it('erases the name, number and face image once the identity expired more than the grace ago, keeping status, mode and dates', async () => {
    const user = await verifiedUser(app, 'purge-expired');
    const before = await row(user.verificationId);
    await purgeAt(41);
    expect(await row(user.verificationId)).toMatchObject({
      ...PURGED,
      status: 'VERIFIED',
      mode: before.mode,
      createdAt: before.createdAt,
      completedAt: before.completedAt,
      expiresAt: before.expiresAt,
    });
    expect(await imagesOf(user.userId)).toEqual([]);
    const [consent] = await app.db.select().from(consents).where(eq(consents.id, before.consentId!));
    expect(consent).toMatchObject({ clientIp: null, userAgent: null, version: expect.any(String) });
  });

  it('records a purge of identities alone in the chain too, with both periods', async () => {
    const user = await verifiedUser(app, 'grace-identity-only');
    await app.db.delete(faceImages).where(eq(faceImages.userId, user.userId));
    await app.db.update(identities).set({ expiresAt: new Date(Date.now() - 11 * DAY_MS) }).where(eq(identities.userId, user.userId));
    expect(await purgeAt(0)).toEqual({ attempts: 0, identities: 1, consents: 1, faceImages: 0 });
    const [last] = await app.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(last).toMatchObject({ action: 'retention.purged', actor: 'retention', detail: { identities: 1, faceImages: 0, retentionDays: 90, renewalGraceDays: 10 } });
  });

  it("records each purge in its owner's audit trail, and the chain still verifies", async () => {
    const user = await verifiedUser(app, 'purge-audited');
    const counts = await purgeAt(41);
    expect(counts.identities).toBeGreaterThanOrEqual(1);
    expect(await purgeEvents(user.userId)).toEqual([
      expect.objectContaining({ actor: 'retention', verificationId: user.verificationId, detail: { reason: 'EXPIRED' } }),
    ]);
    expect(await app.audit.verify(app.db)).toMatchObject({ ok: true });
  });

  it('erases a record once a newer verification of the same user replaced it, and keeps the new one', async () => {
    const user = await verifiedUser(app, 'purge-replaced');
    aheadMs = 31 * DAY_MS;
    try {
      const again = await startVerification(app, user.token, { realName: user.name, idCardNumber: user.idCardNumber });
      expect(again.errors).toBeUndefined();
      expect(await app.sandbox!.complete(again.data!.startVerification.certifyId, 'pass')).toBe('done');
      await purgeAt(32);
      expect(await row(user.verificationId)).toMatchObject({ ...PURGED, status: 'VERIFIED' });
      expect(await row(again.data!.startVerification.id)).toMatchObject({ status: 'VERIFIED', nameCipher: expect.any(Buffer) });
      expect(await purgeEvents(user.userId)).toEqual([expect.objectContaining({ verificationId: user.verificationId, detail: { reason: 'REPLACED' } })]);
    } finally {
      aheadMs = 0;
    }
  });

  it('erases the record of an identity an operator released', async () => {
    const user = await verifiedUser(app, 'purge-released');
    const res = await gql(app, `mutation($u: ID!) { releaseIdentity(userId: $u, reason: "冒用他人身份证") { status } }`, { u: user.userId }, await operatorToken());
    expect(res.errors).toBeUndefined();
    expect(await app.db.select().from(identities).where(eq(identities.userId, user.userId))).toEqual([]);
    await purgeAt(0);
    expect(await row(user.verificationId)).toMatchObject({ ...PURGED, status: 'VERIFIED' });
    expect(await purgeEvents(user.userId)).toEqual([expect.objectContaining({ detail: { reason: 'RELEASED' } })]);
  });

  it('keeps the record of a valid identity', async () => {
    const user = await verifiedUser(app, 'purge-valid');
    await purgeAt(29);
    expect(await row(user.verificationId)).toMatchObject({ nameCipher: expect.any(Buffer), idNumberCipher: expect.any(Buffer), idNumberIndex: expect.any(String) });
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

  it('keeps none of a WeChat capture either, whose photo the service holds itself', async () => {
    const actor = { kind: 'user', userId: 'retention-no-capture' } as const;
    const meta = { clientIp: '127.0.0.1', userAgent: 'retention-test/1.0' };
    const row = await app.services.verifications.start(actor, { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true }, meta, 'CAPTURE');
    expect(await app.services.faceCaptures.submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS, meta)).toMatchObject({ status: 'VERIFIED' });
    expect(await app.db.select().from(faceImages).where(eq(faceImages.userId, actor.userId))).toEqual([]);
  });
});
