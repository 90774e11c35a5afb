import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, serviceToken, START, startTestApp, type TestApp } from '../support/app.js';
import { DELETE, EXPORT, fifteenDigitForm, STATUS, verifiedUser } from '../support/verified-user.js';

describe('logs of a full flow', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('hold no full name or number in any line', async () => {
    const user = await verifiedUser(app, 'logs-user', { name: '张三丰' });
    const again = await gql(app, START, { input: { realName: '张三丰', idCardNumber: user.idCardNumber, consentVersion: CONSENT_VERSION } }, user.token);
    expect(again.errors![0]!.extensions!.code).toBe('ALREADY_VERIFIED');
    expect((await gql(app, STATUS, {}, user.token)).data!.userAuthStatus.status).toBe('VERIFIED');
    expect((await gql(app, STATUS, { u: user.userId }, await serviceToken())).data!.userAuthStatus.status).toBe('VERIFIED');
    expect((await gql(app, EXPORT, {}, user.token)).data!.exportMyData.verifications[0].realName).toBe('张三丰');
    expect((await gql(app, DELETE, {}, user.token)).data!.deleteMyData.dataKeyShredded).toBe(true);
    // A wrongly typed variable makes graphql-js quote the value back: it must not reach a log either.
    await gql(app, START, { input: { realName: '张三丰', idCardNumber: [user.idCardNumber], consentVersion: CONSENT_VERSION } }, user.token);

    expect(app.logs.lines.length).toBeGreaterThan(0);
    const forbidden = ['张三丰', user.idCardNumber, user.idCardNumber.slice(0, 17), fifteenDigitForm(user.idCardNumber)];
    for (const line of app.logs.lines) for (const pii of forbidden) expect(line).not.toContain(pii);
  });
});
