import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, serviceToken, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { ADMIN_USER, FACE_MISMATCH_NUMBER, operatorEventsOf, operatorToken } from '../support/operator.js';
import { startVerification, STATUS, verifiedUser } from '../support/verified-user.js';

const REVEAL = `mutation($u: ID!, $r: String!) { revealIdentity(userId: $u, reason: $r) { userId verificationId realName idCardNumber } }`;
const FIND = `query($n: String!, $r: String!) { findAccountsByIdNumber(idCardNumber: $n, reason: $r) }`;
const UNLOCK = `mutation($u: ID!, $r: String!) { unlockUser(userId: $u, reason: $r) { status lockedUntil } }`;
const RELEASE = `mutation($u: ID!, $r: String!) { releaseIdentity(userId: $u, reason: $r) { status isValid } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { LOCKOUT_FAILURES: '2', REVEAL_LIMIT_PER_OPERATOR: '3', START_LIMIT_PER_ID_NUMBER: '1000', START_LIMIT_PER_IP: '100000' } });
});
afterAll(async () => {
  await app?.stop();
});

/** A user whose attempt failed the face check (SubCode 204). */
async function faceFailure(userId: string) {
  const token = await tokenFor(userId);
  const started = await startVerification(app, token, { realName: '王五', idCardNumber: FACE_MISMATCH_NUMBER });
  expect(await app.sandbox!.complete(started.data!.startVerification.certifyId, 'pass')).toBe('done');
  return { token, verificationId: started.data!.startVerification.id as string };
}

describe('adminUser', () => {
  it('shows status, masked identity, every attempt with its failure code and SubCode, consents and the audit trail', async () => {
    await faceFailure('support-1');
    const user = await verifiedUser(app, 'support-1', { name: '赵六' });
    const res = await gql(app, ADMIN_USER, { userId: 'support-1', first: 50 }, await operatorToken());
    expect(res.errors).toBeUndefined();
    const view = res.data!.adminUser;
    expect(view).toMatchObject({ userId: 'support-1', denied: false, lockedUntil: null, maskedName: '赵*', status: { status: 'VERIFIED', isValid: true } });
    expect(view.maskedIdCardNumber).toBe(`${user.idCardNumber.slice(0, 6)}********${user.idCardNumber.slice(-4)}`);
    expect(view.attempts.map((a: any) => [a.status, a.failureReason?.code ?? null, a.providerSubCode])).toEqual([
      ['VERIFIED', null, '200'],
      ['FAILED', 'FACE_MISMATCH', '204'],
    ]);
    expect(view.consents).toHaveLength(2);
    const actions = view.auditTrail.events.map((e: any) => e.action);
    expect(actions[0]).toBe('operator.read_user');
    expect(actions).toContain('verification.verified');
    expect(JSON.stringify(view)).not.toContain(user.idCardNumber);
    expect(JSON.stringify(view)).not.toContain('赵六');
  });

  it('pages the audit trail back in time', async () => {
    await verifiedUser(app, 'support-pages');
    const op = await operatorToken();
    const all = (await gql(app, ADMIN_USER, { userId: 'support-pages', first: 200 }, op)).data!.adminUser.auditTrail.events.map((e: any) => e.seq);
    const first = (await gql(app, ADMIN_USER, { userId: 'support-pages', first: 2 }, op)).data!.adminUser.auditTrail;
    expect(first.hasNextPage).toBe(true);
    const second = (await gql(app, ADMIN_USER, { userId: 'support-pages', first: 200, after: first.endCursor }, op)).data!.adminUser.auditTrail;
    // Each adminUser read adds an event at the head; the pages below the cursor stay put.
    expect([...first.events, ...second.events].map((e: any) => e.seq).slice(2)).toEqual(all.slice(1).filter((s: string) => BigInt(s) < BigInt(first.endCursor)));
  });

  it('leaves a read event with the operator in the user’s own export', async () => {
    await verifiedUser(app, 'support-export');
    await gql(app, ADMIN_USER, { userId: 'support-export' }, await operatorToken('op-carol'));
    expect(await operatorEventsOf(app, 'support-export')).toEqual([{ actor: 'operator:op-carol', action: 'operator.read_user', reason: '查看用户详情' }]);
  });
});

describe('revealIdentity', () => {
  it('shows the full name and number once, audited with the reason, and refuses past the per-operator limit', async () => {
    const user = await verifiedUser(app, 'reveal-1', { name: '钱七' });
    const op = await operatorToken('op-reveal');
    const res = await gql(app, REVEAL, { u: 'reveal-1', r: '用户来电核对身份' }, op);
    expect(res.data!.revealIdentity).toMatchObject({ userId: 'reveal-1', realName: '钱七', idCardNumber: user.idCardNumber });
    expect(await operatorEventsOf(app, 'reveal-1')).toEqual([{ actor: 'operator:op-reveal', action: 'operator.reveal_identity', reason: '用户来电核对身份' }]);
    expect(app.logs.lines.some((l) => l.includes(user.idCardNumber) || l.includes('钱七'))).toBe(false);

    expect((await gql(app, REVEAL, { u: 'reveal-1', r: '再次核对' }, op)).errors).toBeUndefined();
    expect((await gql(app, REVEAL, { u: 'reveal-1', r: '再次核对' }, op)).errors).toBeUndefined();
    const limited = await gql(app, REVEAL, { u: 'reveal-1', r: '再次核对' }, op);
    expect(limited.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    // The limit is per operator: another one is not held back.
    expect((await gql(app, REVEAL, { u: 'reveal-1', r: '主管复核' }, await operatorToken('op-other'))).errors).toBeUndefined();
  });
});

describe('findAccountsByIdNumber', () => {
  it('lists the accounts holding a number through the blind index, audited in each', async () => {
    const number = validIdNumber();
    await verifiedUser(app, 'holder-1', { idCardNumber: number });
    const tried = await tokenFor('holder-2');
    // A start on a bound number proceeds like any other: the second account has tried it, and holds nothing.
    await startVerification(app, tried, { idCardNumber: number });
    const res = await gql(app, FIND, { n: number, r: '疑似冒用排查' }, await operatorToken());
    expect(res.data!.findAccountsByIdNumber).toEqual(['holder-1', 'holder-2']);
    expect(await operatorEventsOf(app, 'holder-1')).toEqual([{ actor: 'operator:op-alice', action: 'operator.find_accounts', reason: '疑似冒用排查' }]);
    expect((await gql(app, FIND, { n: validIdNumber(), r: '排查' }, await operatorToken())).data!.findAccountsByIdNumber).toEqual([]);
  });

  it('refuses an invalid number', async () => {
    const res = await gql(app, FIND, { n: '110101199003071234', r: '排查' }, await operatorToken());
    expect(res.errors![0]!.extensions!.code).toBe('INVALID_ID_CARD_NUMBER');
  });
});

describe('unlockUser', () => {
  it('lifts a lockout: earlier failures stop counting, and the user may start again', async () => {
    const { token } = await faceFailure('locked-1');
    await faceFailure('locked-1');
    expect((await gql(app, STATUS, {}, token)).data!.userAuthStatus.status).toBe('LOCKED');
    const refused = await startVerification(app, token, { realName: '王五' });
    expect(refused.errors![0]!.extensions!.code).toBe('LOCKED');

    const res = await gql(app, UNLOCK, { u: 'locked-1', r: '用户已核实,解除锁定' }, await operatorToken());
    expect(res.data!.unlockUser).toEqual({ status: 'FAILED', lockedUntil: null });
    const again = await startVerification(app, token, { realName: '王五' });
    expect(again.data!.startVerification.status).toBe('PENDING');
    expect(await operatorEventsOf(app, 'locked-1')).toEqual([{ actor: 'operator:op-alice', action: 'operator.unlock_user', reason: '用户已核实,解除锁定' }]);
  });
});

describe('releaseIdentity', () => {
  it('unbinds a stolen identity: the account is UNVERIFIED, the gate fails, the number is free again', async () => {
    const thief = await verifiedUser(app, 'thief-1');
    const res = await gql(app, RELEASE, { u: 'thief-1', r: '身份被冒用,本人已报案' }, await operatorToken());
    expect(res.data!.releaseIdentity).toEqual({ status: 'UNVERIFIED', isValid: false });
    expect((await gql(app, GATE, { u: 'thief-1' }, await serviceToken())).data!.verifyIdentity).toEqual({ passed: false, reason: 'UNVERIFIED' });
    await verifiedUser(app, 'owner-1', { idCardNumber: thief.idCardNumber });
    expect((await gql(app, GATE, { u: 'owner-1' }, await serviceToken())).data!.verifyIdentity.passed).toBe(true);
    const twice = await gql(app, RELEASE, { u: 'thief-1', r: '重复' }, await operatorToken());
    expect(twice.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });
});

describe('operators and the user-facing operations', () => {
  it('are refused what is only a user’s or the letter backend’s', async () => {
    const op = await operatorToken();
    for (const [query, field] of [
      [STATUS, 'userAuthStatus'],
      [`query { exportMyData { userId } }`, 'exportMyData'],
      [START, 'startVerification'],
    ] as const) {
      const res = await gql(app, query, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, op);
      expect(res.errors?.[0]?.extensions?.code, field).toBe('FORBIDDEN');
    }
  });
});
