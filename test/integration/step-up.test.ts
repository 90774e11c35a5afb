import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identities } from '../../src/db/schema.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { consentRepository } from '../../src/repositories/consent.repository.js';
import { faceImageRepository } from '../../src/repositories/face-image.repository.js';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { gql, serviceToken, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/verified-user.js';

const DAY_MS = 86_400_000;
export const STEP_UP = /* GraphQL */ `
  mutation StepUp($input: FaceCheckInput!) {
    startStepUp(input: $input) { id status purpose certifyUrl certifyId maskedName failureReason { code } }
  }
`;
const GATE = `mutation($u: ID, $days: Int) { verifyIdentity(userId: $u, maxFaceCheckAgeDays: $days) { passed reason expiresAt } }`;
const faceCheckInput = { consentVersion: CONSENT_TERMS.version, biometricConsent: true };

/** The gate cache on (its default), face images kept 30 days, and a clock the tests can stop. */
describe('step-up at the gate', () => {
  let app: TestApp;
  let service: string;
  let frozen: Date | null = null;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      env: { START_LIMIT_PER_IP: '1000', FACE_IMAGE_RETENTION_DAYS: '30' },
      overrides: { clock: () => frozen ?? new Date(Date.now() + aheadMs) },
    });
    service = await serviceToken();
  });
  afterEach(() => {
    frozen = null;
    aheadMs = 0;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const gate = async (userId: string, days?: number) => (await gql(app, GATE, { u: userId, days }, service)).data!.verifyIdentity;
  const stepUp = async (token: string, input: Record<string, unknown> = {}) => {
    const res = await gql(app, STEP_UP, { input: { ...faceCheckInput, ...input } }, token);
    return { verification: res.data?.startStepUp, error: res.errors?.[0] };
  };

  it('answers STEP_UP_REQUIRED when the last face check is more than N days old, and passes at exactly N', async () => {
    const user = await verifiedUser(app, 'step-up-edge');
    const { faceCheckedAt } = (await identityRepository.byUser(app.db, user.userId))!;
    frozen = new Date(faceCheckedAt!.getTime() + 7 * DAY_MS);
    expect(await gate(user.userId, 7)).toMatchObject({ passed: true, reason: null });
    frozen = new Date(faceCheckedAt!.getTime() + 7 * DAY_MS + 1);
    expect(await gate(user.userId, 7)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED' });
    expect(await gate(user.userId, 8)).toMatchObject({ passed: true });
    expect(await gate(user.userId)).toMatchObject({ passed: true });
  });

  it('runs one face check against the held identity: the face-check time moves, the expiry does not, and the cached gate sees it', async () => {
    const user = await verifiedUser(app, 'step-up-pass', { name: '赵大爷' });
    const before = (await identityRepository.byUser(app.db, user.userId))!;
    aheadMs = 20 * DAY_MS;
    expect(await gate(user.userId, 7)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED', expiresAt: before.expiresAt.toISOString() });
    const callsBefore = app.sandbox!.calls.length;

    const { verification, error } = await stepUp(user.token);
    expect(error).toBeUndefined();
    expect(verification).toMatchObject({ status: 'PENDING', purpose: 'STEP_UP', maskedName: '赵**' });
    expect(app.sandbox!.calls.slice(callsBefore).map((c) => c.action)).toEqual(['InitFaceVerify']);
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');

    const after = (await identityRepository.byUser(app.db, user.userId))!;
    expect(after).toMatchObject({ verificationId: before.verificationId, verifiedAt: before.verifiedAt, expiresAt: before.expiresAt, slot: before.slot });
    expect(after.faceCheckedAt!.getTime() - before.faceCheckedAt!.getTime()).toBeGreaterThanOrEqual(20 * DAY_MS);
    // The first answer was cached; the step-up's transition notice drops it (on every replica, through Redis).
    await expect.poll(() => gate(user.userId, 7)).toMatchObject({ passed: true, reason: null, expiresAt: before.expiresAt.toISOString() });
    expect((await consentRepository.allForUser(app.db, user.userId)).length).toBe(2);
  });

  it('keeps no face image of a step-up, even with FACE_IMAGE_RETENTION_DAYS set', async () => {
    const user = await verifiedUser(app, 'step-up-no-image');
    expect((await faceImageRepository.ofUser(app.db, user.userId)).map((i) => i.verificationId)).toEqual([user.verificationId]);
    const { verification } = await stepUp(user.token);
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    expect(await verificationRepository.byId(app.db, verification.id)).toMatchObject({ status: 'VERIFIED' });
    expect((await faceImageRepository.ofUser(app.db, user.userId)).map((i) => i.verificationId)).toEqual([user.verificationId]);
  });

  it('leaves the face-check time where it was when the face check fails', async () => {
    const user = await verifiedUser(app, 'step-up-fails');
    const before = await identityRepository.byUser(app.db, user.userId);
    aheadMs = 10 * DAY_MS;
    const { verification } = await stepUp(user.token);
    expect(await app.sandbox!.complete(verification.certifyId, 'fail')).toBe('done');
    expect(await identityRepository.byUser(app.db, user.userId)).toEqual(before);
    expect(await gate(user.userId, 7)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED' });
  });

  it('is refused without a valid identity, and for a negative age', async () => {
    expect((await stepUp(await tokenFor('step-up-never'))).error!.extensions!.code).toBe('NOT_FOUND');
    const user = await verifiedUser(app, 'step-up-expired');
    aheadMs = 366 * DAY_MS;
    expect((await stepUp(user.token)).error).toMatchObject({ message: '您的实名认证已过期,请先续期', extensions: { code: 'NOT_FOUND' } });
    expect(await gate(user.userId, 7)).toMatchObject({ passed: false, reason: 'EXPIRED' });
    const res = await gql(app, GATE, { u: user.userId, days: -1 }, service);
    expect(res.errors![0]).toMatchObject({ message: 'maxFaceCheckAgeDays 须为不小于 0 的整数', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('takes an age of 0: a face check at this very instant, and none older', async () => {
    const user = await verifiedUser(app, 'step-up-zero');
    const { faceCheckedAt } = (await identityRepository.byUser(app.db, user.userId))!;
    frozen = faceCheckedAt;
    expect(await gate(user.userId, 0)).toMatchObject({ passed: true, reason: null });
    frozen = new Date(faceCheckedAt!.getTime() + 1);
    expect(await gate(user.userId, 0)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED' });
  });

  it('reads past the cache for the replica that made a change, whatever the cache holds', async () => {
    const user = await verifiedUser(app, 'step-up-fresh');
    expect(await gate(user.userId)).toMatchObject({ passed: true });
    await app.db.delete(identities).where(eq(identities.userId, user.userId));
    expect((await app.services.authStatus.currentStatusOf(user.userId)).status).toBe('UNVERIFIED');
  });
});
