import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, serviceToken, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { operatorEventsOf, operatorToken } from '../support/operator.js';
import { startVerification, STATUS, verifiedUser } from '../support/verified-user.js';

const DENY_NUMBER = `mutation($n: String!, $r: String!) { denyIdNumber(idCardNumber: $n, reason: $r) { kind reference changed affectedAccounts } }`;
const ALLOW_NUMBER = `mutation($n: String!, $r: String!) { allowIdNumber(idCardNumber: $n, reason: $r) { changed } }`;
const DENY_USER = `mutation($u: ID!, $r: String!) { denyUser(userId: $u, reason: $r) { kind reference changed affectedAccounts } }`;
const ALLOW_USER = `mutation($u: ID!, $r: String!) { allowUser(userId: $u, reason: $r) { changed } }`;
const LIST = `query { denylist { kind reference reason createdBy createdAt } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { START_LIMIT_PER_IP: '100000' } });
});
afterAll(async () => {
  await app?.stop();
});

const start = async (userId: string, idCardNumber: string) =>
  startVerification(app, await tokenFor(userId), { idCardNumber });

describe('denying a number', () => {
  it('refuses a start with it (IDENTITY_DENIED) until it is allowed again; the list holds no number', async () => {
    const number = validIdNumber();
    const op = await operatorToken();
    const denied = await gql(app, DENY_NUMBER, { n: number, r: '公安机关通报冒用' }, op);
    expect(denied.data!.denyIdNumber).toMatchObject({ kind: 'ID_NUMBER', changed: true, affectedAccounts: 0 });
    expect(denied.data!.denyIdNumber.reference).toMatch(/^[\w-]{12}$/);
    expect((await gql(app, DENY_NUMBER, { n: number, r: '重复' }, op)).data!.denyIdNumber.changed).toBe(false);

    const refused = await start('deny-n-1', number);
    expect(refused.errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
    expect(JSON.stringify(refused)).not.toContain(number);
    const list = await gql(app, LIST, {}, op);
    expect(JSON.stringify(list.data)).not.toContain(number);
    expect(list.data!.denylist[0]).toMatchObject({ kind: 'ID_NUMBER', reason: '公安机关通报冒用', createdBy: 'operator:op-alice' });

    expect((await gql(app, ALLOW_NUMBER, { n: number, r: '通报撤销' }, op)).data!.allowIdNumber.changed).toBe(true);
    expect((await start('deny-n-1', number)).data!.startVerification.status).toBe('PENDING');
  });

  it('fails the gate of an account already bound to it, at once (DENIED), and says so in its audit trail', async () => {
    const user = await verifiedUser(app, 'deny-n-bound');
    const service = await serviceToken();
    expect((await gql(app, GATE, { u: 'deny-n-bound' }, service)).data!.verifyIdentity.passed).toBe(true);
    const res = await gql(app, DENY_NUMBER, { n: user.idCardNumber, r: '冒用' }, await operatorToken());
    expect(res.data!.denyIdNumber.affectedAccounts).toBe(1);
    expect((await gql(app, GATE, { u: 'deny-n-bound' }, service)).data!.verifyIdentity).toEqual({ passed: false, reason: 'DENIED' });
    expect((await gql(app, STATUS, {}, user.token)).data!.userAuthStatus).toEqual({ status: 'DENIED', isValid: false });
    expect(await operatorEventsOf(app, 'deny-n-bound')).toEqual([{ actor: 'operator:op-alice', action: 'operator.deny_id_number', reason: '冒用' }]);
  });
});

describe('denying a user', () => {
  it('refuses their start with IDENTITY_DENIED', async () => {
    await gql(app, DENY_USER, { u: 'deny-u-start', r: '批量注册账号' }, await operatorToken());
    const refused = await start('deny-u-start', validIdNumber());
    expect(refused.errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
    expect((await gql(app, STATUS, {}, await tokenFor('deny-u-start'))).data!.userAuthStatus.status).toBe('DENIED');
  });

  it('fails a verified user’s gate with DENIED at once, and passes it again when allowed', async () => {
    const user = await verifiedUser(app, 'deny-u-1');
    const op = await operatorToken();
    const service = await serviceToken();
    expect((await gql(app, DENY_USER, { u: 'deny-u-1', r: '账号涉嫌欺诈' }, op)).data!.denyUser).toMatchObject({ kind: 'USER', reference: 'deny-u-1', changed: true, affectedAccounts: 1 });
    expect((await gql(app, GATE, { u: 'deny-u-1' }, service)).data!.verifyIdentity).toEqual({ passed: false, reason: 'DENIED' });

    expect((await gql(app, ALLOW_USER, { u: 'deny-u-1', r: '核查无误' }, op)).data!.allowUser.changed).toBe(true);
    expect((await gql(app, GATE, { u: 'deny-u-1' }, service)).data!.verifyIdentity.passed).toBe(true);
    expect((await gql(app, STATUS, {}, user.token)).data!.userAuthStatus.status).toBe('VERIFIED');
    expect(await operatorEventsOf(app, 'deny-u-1')).toEqual([
      { actor: 'operator:op-alice', action: 'operator.deny_user', reason: '账号涉嫌欺诈' },
      { actor: 'operator:op-alice', action: 'operator.allow_user', reason: '核查无误' },
    ]);
  });
});
