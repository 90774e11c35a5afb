import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { consentRepository } from '../../src/repositories/consent.repository.js';
import { denylistRepository } from '../../src/repositories/denylist.repository.js';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { gql, serviceToken, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { SANDBOX_PERMIT_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';

const DAY_MS = 86_400_000;
export const RENEW = /* GraphQL */ `
  mutation Renew($input: FaceCheckInput!) {
    renewVerification(input: $input) { id status purpose certifyUrl certifyId maskedName maskedIdCardNumber failureReason { code } }
  }
`;
const STATUS = `query { userAuthStatus { status isValid expiresAt renewableFrom renewable } }`;
const faceCheckInput = (input: Record<string, unknown> = {}) => ({ consentVersion: CONSENT_TERMS.version, biometricConsent: true, ...input });

/** IDENTITY_VALIDITY_DAYS=60, renewable from 10 days before expiry until 5 days after; a clock the tests move. */
describe('renewVerification', () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      env: { IDENTITY_VALIDITY_DAYS: '60', IDENTITY_RENEWAL_DAYS: '10', IDENTITY_RENEWAL_GRACE_DAYS: '5', START_LIMIT_PER_IP: '1000', LOCKOUT_FAILURES: '2' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
  });
  afterEach(() => {
    aheadMs = 0;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const renew = async (token: string, input: Record<string, unknown> = {}) => {
    const res = await gql(app, RENEW, { input: faceCheckInput(input) }, token);
    return { verification: res.data?.renewVerification, error: res.errors?.[0] };
  };
  const statusOf = async (token: string) => (await gql(app, STATUS, {}, token)).data!.userAuthStatus;
  /** Moves the clock to `days` after the identity's expiry (negative: before it). */
  const travelTo = async (userId: string, days: number) => {
    const identity = await identityRepository.byUser(app.db, userId);
    aheadMs = identity!.expiresAt.getTime() + days * DAY_MS - Date.now();
  };

  it('refuses before the window with RENEWAL_NOT_OPEN and says from when', async () => {
    const user = await verifiedUser(app, 'renew-early');
    const identity = await identityRepository.byUser(app.db, user.userId);
    await travelTo(user.userId, -10.5);
    const { error } = await renew(user.token);
    expect(error).toMatchObject({ extensions: { code: 'RENEWAL_NOT_OPEN', renewableFrom: new Date(identity!.expiresAt.getTime() - 10 * DAY_MS).toISOString() } });
    expect(error!.message).toMatch(/^尚未到续期时间,可于\d{4}年\d{1,2}月\d{1,2}日起续期$/);
    expect(await statusOf(user.token)).toMatchObject({ status: 'VERIFIED', renewable: false, renewableFrom: new Date(identity!.expiresAt.getTime() - 10 * DAY_MS).toISOString() });
    expect(await verificationRepository.allForUser(app.db, user.userId)).toHaveLength(1);
  });

  it('starts a face check only, with the held identity, inside the window; passing starts a new lifetime', async () => {
    const user = await verifiedUser(app, 'renew-window', { name: '王小明' });
    await travelTo(user.userId, -9);
    expect(await statusOf(user.token)).toMatchObject({ status: 'VERIFIED', renewable: true });
    const callsBefore = app.sandbox!.calls.length;

    const { verification, error } = await renew(user.token);
    expect(error).toBeUndefined();
    expect(verification).toMatchObject({ status: 'PENDING', purpose: 'RENEWAL', maskedName: '王**', maskedIdCardNumber: `${user.idCardNumber.slice(0, 6)}********${user.idCardNumber.slice(-4)}` });
    expect(app.sandbox!.calls.slice(callsBefore).map((c) => c.action)).toEqual(['InitFaceVerify']);

    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    const identity = await identityRepository.byUser(app.db, user.userId);
    const now = Date.now() + aheadMs;
    expect(identity).toMatchObject({ verificationId: verification.id });
    expect(identity!.expiresAt.getTime() - identity!.verifiedAt.getTime()).toBe(60 * DAY_MS);
    expect(Math.abs(identity!.verifiedAt.getTime() - now)).toBeLessThan(60_000);
    expect(await statusOf(user.token)).toMatchObject({ status: 'VERIFIED', renewable: false });
  });

  it('renews a residence permit holder under the document they verified with', async () => {
    const token = await tokenFor('renew-permit');
    const start = await startVerification(app, token, { realName: '陈美玲', idCardNumber: SANDBOX_PERMIT_NUMBERS.TAIWAN, documentType: 'TAIWAN_RESIDENCE_PERMIT' });
    expect(start.errors).toBeUndefined();
    expect(await app.sandbox!.complete(start.data!.startVerification.certifyId, 'pass')).toBe('done');
    await travelTo('renew-permit', -1);

    const { verification, error } = await renew(token, { elderlyMode: true });
    expect(error).toBeUndefined();
    expect(verification).toMatchObject({ status: 'PENDING', purpose: 'RENEWAL' });
    const row = await verificationRepository.byId(app.db, verification.id);
    expect(row).toMatchObject({ documentType: 'TAIWAN_RESIDENCE_PERMIT' });
    expect(app.sandbox!.calls.at(-1)).toMatchObject({ action: 'InitFaceVerify', suitableType: expect.any(String) });
  });

  it('renews an identity past its expiry within the grace days', async () => {
    const user = await verifiedUser(app, 'renew-grace');
    await travelTo(user.userId, 4.5);
    expect(await statusOf(user.token)).toMatchObject({ status: 'EXPIRED', isValid: false, renewable: true });
    const { verification } = await renew(user.token);
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    expect(await statusOf(user.token)).toMatchObject({ status: 'VERIFIED', isValid: true });
  });

  it('has nothing to renew once the grace days are over', async () => {
    const user = await verifiedUser(app, 'renew-late');
    await travelTo(user.userId, 5);
    expect(await statusOf(user.token)).toMatchObject({ status: 'EXPIRED', renewableFrom: null, renewable: false });
    expect((await renew(user.token)).error!.extensions!.code).toBe('NOT_FOUND');
  });

  it('leaves the current identity as it was when the face check fails', async () => {
    const user = await verifiedUser(app, 'renew-fails');
    const before = await identityRepository.byUser(app.db, user.userId);
    await travelTo(user.userId, -3);
    const { verification } = await renew(user.token);
    expect(await app.sandbox!.complete(verification.certifyId, 'fail')).toBe('done');

    expect(await verificationRepository.byId(app.db, verification.id)).toMatchObject({ status: 'FAILED', purpose: 'RENEWAL' });
    expect(await identityRepository.byUser(app.db, user.userId)).toEqual(before);
    expect(await statusOf(user.token)).toMatchObject({ status: 'VERIFIED', isValid: true, expiresAt: before!.expiresAt.toISOString(), renewable: true });
    await travelTo(user.userId, 0);
    expect(await statusOf(user.token)).toMatchObject({ status: 'EXPIRED', isValid: false });
  });

  it('records the consent as a start does, and refuses without the face-processing consent', async () => {
    const user = await verifiedUser(app, 'renew-consent');
    await travelTo(user.userId, -1);
    expect((await renew(user.token, { biometricConsent: false })).error!.extensions!.code).toBe('CONSENT_REQUIRED');
    expect((await renew(user.token, { consentVersion: 'outdated' })).error!.extensions!.code).toBe('CONSENT_REQUIRED');
    expect(await consentRepository.allForUser(app.db, user.userId)).toHaveLength(1);

    const { verification } = await renew(user.token);
    const consents = await consentRepository.allForUser(app.db, user.userId);
    expect(consents).toHaveLength(2);
    expect(consents[1]).toMatchObject({ version: CONSENT_TERMS.version, biometric: true });
    expect(await verificationRepository.byId(app.db, verification.id)).toMatchObject({ consentId: consents[1]!.id });
  });

  it('meets the same guard as a start: the denylist and the lockout', async () => {
    const denied = await verifiedUser(app, 'renew-denied');
    await app.db.transaction((tx) => denylistRepository.add(tx, { kind: 'USER', value: denied.userId, reason: 'test', createdBy: 'operator:test', createdAt: new Date() }));
    await travelTo(denied.userId, -1);
    expect((await renew(denied.token)).error!.extensions!.code).toBe('IDENTITY_DENIED');

    const user = await verifiedUser(app, 'renew-locked');
    await travelTo(user.userId, -1);
    for (let i = 0; i < 2; i++) {
      const { verification } = await renew(user.token);
      expect(await app.sandbox!.complete(verification.certifyId, 'fail')).toBe('done');
    }
    expect((await renew(user.token)).error).toMatchObject({ extensions: { code: 'LOCKED' } });
  });

  it('returns the open renewal to a repeat, and refuses a service caller', async () => {
    const user = await verifiedUser(app, 'renew-repeat');
    await travelTo(user.userId, -1);
    const first = await renew(user.token);
    const again = await renew(user.token);
    expect(again.verification).toMatchObject({ id: first.verification.id, certifyUrl: first.verification.certifyUrl });
    expect((await renew(await serviceToken())).error!.extensions!.code).toBe('FORBIDDEN');
  });

  it('is nothing to renew for a user who never verified', async () => {
    const res = await renew(await tokenFor('renew-never'));
    expect(res.error!.extensions!.code).toBe('NOT_FOUND');
  });
});
