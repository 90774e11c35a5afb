import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications, webhookEvents } from '../../src/db/schema.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { scrape } from '../support/metrics.js';
import { validIdNumber } from '../support/id-numbers.js';
import { fifteenDigitForm, startedUser, startVerification, verifiedUser } from '../support/verified-user.js';

const READ = `query($id: ID!) { verification(id: $id) { status failureReason { code message } } }`;
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

  it('starts a number bound to another account like any other: the answer tells nothing of the binding', async () => {
    const first = await verifiedUser(app, 'bound-first');
    const bound = await startAs(app, 'bound-second', first.idCardNumber);
    const free = await startAs(app, 'bound-free', validIdNumber());
    expect(bound.errors).toBeUndefined();
    expect(bound.data!.startVerification).toMatchObject({ status: 'PENDING', failureReason: null });
    expect(Object.keys(bound.data!.startVerification)).toEqual(Object.keys(free.data!.startVerification));
  });

  it('writes no webhook event without WEBHOOK_URL', async () => {
    const user = await verifiedUser(app, 'bound-no-webhooks');
    expect(await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, user.userId))).toEqual([]);
  });

  it('fails a bound number IDENTITY_ALREADY_BOUND only once the face check passed, and sends the user to support', async () => {
    const first = await verifiedUser(app, 'late-first');
    const second = await startedUser(app, 'late-second', { idCardNumber: first.idCardNumber });
    expect(await app.sandbox!.complete(second.certifyId, 'pass')).toBe('done');
    const res = await gql(app, READ, { id: second.verificationId }, second.token);
    expect(res.data!.verification).toMatchObject({ status: 'FAILED', failureReason: { code: 'IDENTITY_ALREADY_BOUND', message: expect.stringContaining('联系客服') } });
    expect(await identityRepository.byUser(app.db, 'late-second')).toBeUndefined();
  });

  it('records a possible misuse of the identity in the audit chain, with the move, and no PII', async () => {
    const first = await verifiedUser(app, 'misuse-first');
    const second = await startedUser(app, 'misuse-second', { idCardNumber: first.idCardNumber });
    await app.sandbox!.complete(second.certifyId, 'pass');
    const events = (await auditRepository.forUser(app.db, 'misuse-second')).filter((e) => e.verificationId === second.verificationId);
    expect(events.map((e) => e.action)).toEqual(['verification.started', 'verification.failed', 'identity.misuse_suspected']);
    const [failed, misuse] = events.slice(1);
    expect(misuse!.at).toEqual(failed!.at);
    expect(misuse!.detail).toEqual({ accountsHoldingIdentity: 1, maxAccountsPerIdentity: 1 });
    expect(JSON.stringify(events)).not.toContain(first.idCardNumber);
    expect(JSON.stringify(events)).not.toContain('misuse-first');
  });

  it('counts each identity found bound elsewhere in realname_identity_bound_elsewhere_total', async () => {
    const before = (await scrape(app)).value('realname_identity_bound_elsewhere_total');
    const first = await verifiedUser(app, 'metric-first');
    const second = await startedUser(app, 'metric-second', { idCardNumber: first.idCardNumber });
    await app.sandbox!.complete(second.certifyId, 'pass');
    expect((await scrape(app)).value('realname_identity_bound_elsewhere_total')).toBe(before + 1);
  });

  it('finds the 15-digit form of a bound number bound too, after the face check', async () => {
    const first = await verifiedUser(app, 'bound-fifteen', { idCardNumber: validIdNumber('19800101') });
    const second = await startedUser(app, 'bound-fifteen-other', { idCardNumber: fifteenDigitForm(first.idCardNumber) });
    await app.sandbox!.complete(second.certifyId, 'pass');
    const [row] = await app.db.select().from(verifications).where(eq(verifications.id, second.verificationId));
    expect(row).toMatchObject({ status: 'FAILED', failureCode: 'IDENTITY_ALREADY_BOUND' });
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

  it('binds a number to two accounts and fails a third once its face check passed', async () => {
    const first = await verifiedUser(app, 'two-first');
    await verifiedUser(app, 'two-second', { idCardNumber: first.idCardNumber });
    const third = await verifiedUser(app, 'two-third', { idCardNumber: first.idCardNumber });
    const [row] = await app.db.select().from(verifications).where(eq(verifications.id, third.verificationId));
    expect(row).toMatchObject({ status: 'FAILED', failureCode: 'IDENTITY_ALREADY_BOUND' });
    const misuse = (await auditRepository.forUser(app.db, 'two-third')).find((e) => e.action === 'identity.misuse_suspected');
    expect(misuse!.detail).toEqual({ accountsHoldingIdentity: 2, maxAccountsPerIdentity: 2 });
  });

  it('lets exactly two of several concurrent accounts bind a number', async () => {
    expect(await race(app, 'race-two', 4)).toEqual(['FAILED:IDENTITY_ALREADY_BOUND', 'FAILED:IDENTITY_ALREADY_BOUND', 'VERIFIED', 'VERIFIED']);
  });
});
