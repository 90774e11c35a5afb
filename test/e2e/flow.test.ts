import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status failureReason { code } } }`;
const STATUS = `query { userAuthStatus { status isValid daysRemaining maskedName latestVerification { id status } } }`;

describe('verification flow', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function start(userId: string, idCardNumber = validIdNumber()) {
    const token = await tokenFor(userId);
    const res = await startVerification(app, token, { idCardNumber });
    expect(res.errors).toBeUndefined();
    return { token, verification: res.data!.startVerification, idCardNumber };
  }

  it('goes start → subscribe → pass → VERIFIED pushed → status valid', async () => {
    const { token, verification, idCardNumber } = await start('user-pass');
    expect(verification).toMatchObject({ status: 'PENDING', mode: 'SANDBOX', maskedName: '张*' });
    expect(verification.maskedIdCardNumber).toBe(`${idCardNumber.slice(0, 6)}********${idCardNumber.slice(-4)}`);
    expect(verification.certifyUrl).toMatch(/\/certify\/[0-9a-f]{32}$/);

    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id: verification.id });
    await watch.waitFor((e) => e.length === 1);
    expect(watch.events[0].verificationResult.status).toBe('PENDING');

    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    await watch.done;
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();

    const status = await gql(app, STATUS, {}, token);
    expect(status.data!.userAuthStatus).toMatchObject({ status: 'VERIFIED', isValid: true, daysRemaining: 364, maskedName: '张*' });
    const gate = await gql(app, `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`, { u: 'user-pass' }, await serviceToken());
    expect(gate.data!.verifyIdentity).toEqual({ passed: true, reason: null });
  });

  it('ends FAILED with a reason when the face check fails', async () => {
    const { token, verification } = await start('user-fail');
    await app.sandbox!.complete(verification.certifyId, 'fail');
    const res = await gql(app, `query($id: ID!) { verification(id: $id) { status failureReason { code message } } }`, { id: verification.id }, token);
    expect(res.data!.verification.status).toBe('FAILED');
    // The sandbox's fail button always reports SubCode 205 (liveness risk).
    expect(res.data!.verification.failureReason.code).toBe('LIVENESS_RISK');
    const gate = await gql(app, `mutation { verifyIdentity { passed reason } }`, {}, token);
    expect(gate.data!.verifyIdentity).toEqual({ passed: false, reason: 'FAILED' });
  });

  it('refuses a query without a token', async () => {
    const res = await gql(app, STATUS);
    expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a bad ID number', async () => {
    const token = await tokenFor('user-bad');
    const res = await startVerification(app, token, { idCardNumber: '110101199003071234' });
    expect(res.errors![0]!.extensions!.code).toBe('INVALID_ID_CARD_NUMBER');
    expect(JSON.stringify(res)).not.toContain('110101199003071234');
  });
});
