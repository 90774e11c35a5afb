import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { gql, startTestApp, type TestApp } from '../support/app.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';

const DAY_MS = 86_400_000;
const STATUS = `query { userAuthStatus { status isValid verifiedAt expiresAt daysRemaining } }`;

/** IDENTITY_VALIDITY_DAYS=30, and a clock the tests move forward. */
describe('a verified identity’s lifetime', () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({ env: { IDENTITY_VALIDITY_DAYS: '30', START_LIMIT_PER_IP: '1000' }, overrides: { clock: () => new Date(Date.now() + aheadMs) } });
  });
  afterEach(() => {
    aheadMs = 0;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const statusOf = async (token: string) => (await gql(app, STATUS, {}, token)).data!.userAuthStatus;

  it('lasts IDENTITY_VALIDITY_DAYS from the moment it was verified', async () => {
    const user = await verifiedUser(app, 'lifetime-days');
    const status = await statusOf(user.token);
    expect(status).toMatchObject({ status: 'VERIFIED', isValid: true, daysRemaining: 29 });
    expect(Date.parse(status.expiresAt) - Date.parse(status.verifiedAt)).toBe(30 * DAY_MS);
  });

  it('lets the owner of an expired identity verify again, and starts a new lifetime', async () => {
    const user = await verifiedUser(app, 'lifetime-renew');
    aheadMs = 31 * DAY_MS;
    expect(await statusOf(user.token)).toMatchObject({ status: 'EXPIRED', isValid: false });

    const again = await startVerification(app, user.token, { realName: user.name, idCardNumber: user.idCardNumber });
    expect(again.errors).toBeUndefined();
    expect(again.data!.startVerification.status).toBe('PENDING');
    expect(await app.sandbox!.complete(again.data!.startVerification.certifyId, 'pass')).toBe('done');

    const renewed = await statusOf(user.token);
    expect(renewed).toMatchObject({ status: 'VERIFIED', isValid: true, daysRemaining: 29 });
    expect(await identityRepository.byUser(app.db, user.userId)).toMatchObject({ verificationId: again.data!.startVerification.id });
  });
});
