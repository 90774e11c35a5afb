import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications, webhookEvents } from '../../src/db/schema.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { fifteenDigitForm, startedUser, startVerification, verifiedUser } from '../support/verified-user.js';

const LIMITS = { START_LIMIT_PER_IP: '1000', START_LIMIT_PER_ID_NUMBER: '100' };

async function startAs(app: TestApp, userId: string, idCardNumber: string) {
  return startVerification(app, await tokenFor(userId), { idCardNumber });
}

/** Several accounts start with one number at once, then all pass the face step at once. */
async function race(app: TestApp, prefix: string, accounts: number) {
  const idCardNumber = validIdNumber();
  const users = await Promise.all(Array.from({ length: accounts }, (_, i) => startedUser(app, `${prefix}-${i}`, { idCardNumber })));
  await Promise.all(users.map((u) => app.sandbox!.complete(u.certifyId, 'pass')));
  const rows = await Promise.all(users.map(async (u) => (await app.db.select().from(verifications).where(eq(verifications.id, u.verificationId)))[0]!));
  return rows.map((r) => `${r.status}${r.failureCode ? `:${r.failureCode}` : ''}`).sort();
}

describe('one identity, one account', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: LIMITS });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses to start with a number bound to another account', async () => {
    const first = await verifiedUser(app, 'bound-first');
    const res = await startAs(app, 'bound-second', first.idCardNumber);
    expect(res.errors![0]!.extensions!.code).toBe('IDENTITY_ALREADY_BOUND');
    expect(await app.db.select().from(verifications).where(eq(verifications.userId, 'bound-second'))).toEqual([]);
  });

  it('writes no webhook event without WEBHOOK_URL', async () => {
    const user = await verifiedUser(app, 'bound-no-webhooks');
    expect(await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, user.userId))).toEqual([]);
  });

  it('refuses the 15-digit form of a bound number too', async () => {
    const first = await verifiedUser(app, 'bound-fifteen', { idCardNumber: validIdNumber('19800101') });
    const res = await startAs(app, 'bound-fifteen-other', fifteenDigitForm(first.idCardNumber));
    expect(res.errors![0]!.extensions!.code).toBe('IDENTITY_ALREADY_BOUND');
  });

  it('lets exactly one of several concurrent accounts bind a number; the others fail IDENTITY_ALREADY_BOUND', async () => {
    expect(await race(app, 'race-one', 4)).toEqual([
      'FAILED:IDENTITY_ALREADY_BOUND',
      'FAILED:IDENTITY_ALREADY_BOUND',
      'FAILED:IDENTITY_ALREADY_BOUND',
      'VERIFIED',
    ]);
  });
});

describe('IDENTITY_MAX_ACCOUNTS=2', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...LIMITS, IDENTITY_MAX_ACCOUNTS: '2' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('binds a number to two accounts and refuses a third', async () => {
    const first = await verifiedUser(app, 'two-first');
    await verifiedUser(app, 'two-second', { idCardNumber: first.idCardNumber });
    const third = await startAs(app, 'two-third', first.idCardNumber);
    expect(third.errors![0]!.extensions!.code).toBe('IDENTITY_ALREADY_BOUND');
  });

  it('lets exactly two of several concurrent accounts bind a number', async () => {
    expect(await race(app, 'race-two', 4)).toEqual(['FAILED:IDENTITY_ALREADY_BOUND', 'FAILED:IDENTITY_ALREADY_BOUND', 'VERIFIED', 'VERIFIED']);
  });
});
