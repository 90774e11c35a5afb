import 'reflect-metadata';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { CONSENT_VERSION, gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { DELETE, EXPORT, fifteenDigitForm, startedUser, startVerification, STATUS, verifiedUser } from '../support/verified-user.js';

const NAME = '欧阳明月';
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status } }`;

/** A port nothing listens on: bound once to learn a free number, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The flows, their refusals and the provider's failures, each carrying a name and a number, then
 * every line the app logged during each test. The second endpoint is dead, so each outage also
 * logs a failover.
 */
describe('no name, number or token reaches a log line during', () => {
  let app: TestApp;
  let aheadMs = 0;
  const secrets: string[] = [];
  /** What may never appear in a log line: each name and number in its forms, and bearer tokens. */
  const forbid = (...values: string[]) => secrets.push(...values);
  const forbidNumber = (idCardNumber: string) => forbid(idCardNumber, idCardNumber.slice(0, 17), fifteenDigitForm(idCardNumber));

  beforeAll(async () => {
    app = await startTestApp({
      env: { SANDBOX_FAILOVER_URL: `http://127.0.0.1:${await deadPort()}`, START_LIMIT_PER_IP: '1000', START_LIMIT_PER_USER: '1000' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
    forbid(NAME);
  });
  let mark = 0;
  const loggedMessages = () => app.logs.lines.slice(mark).map((line) => (JSON.parse(line) as { msg: string }).msg);
  beforeEach(() => {
    mark = app.logs.lines.length;
  });
  afterEach(() => {
    app.sandbox!.clearFaults();
    aheadMs = 0;
    expect(secrets.length).toBeGreaterThan(3);
    for (const line of app.logs.lines.slice(mark)) for (const secret of secrets) expect(line).not.toContain(secret);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function start(userId: string, idCardNumber: string, extra: Record<string, unknown> = {}) {
    const token = await tokenFor(userId);
    forbid(token);
    forbidNumber(idCardNumber);
    return startVerification(app, token, { realName: NAME, idCardNumber, ...extra });
  }

  it('a verification from start to export and erasure', async () => {
    const user = await verifiedUser(app, 'logs-flow', { name: NAME });
    forbid(user.token);
    forbidNumber(user.idCardNumber);
    expect((await start('logs-flow', user.idCardNumber)).errors![0]!.extensions!.code).toBe('ALREADY_VERIFIED');
    expect((await gql(app, STATUS, {}, user.token)).data!.userAuthStatus.status).toBe('VERIFIED');
    expect((await gql(app, STATUS, { u: user.userId }, await serviceToken())).data!.userAuthStatus.status).toBe('VERIFIED');
    expect((await gql(app, EXPORT, {}, user.token)).data!.exportMyData.verifications[0].realName).toBe(NAME);
    expect((await gql(app, DELETE, {}, user.token)).data!.deleteMyData.dataKeyShredded).toBe(true);
  });

  it('refusals of bad input', async () => {
    const number = validIdNumber();
    const wrongCheckDigit = number.slice(0, 17) + (number.endsWith('0') ? '1' : '0');
    forbidNumber(wrongCheckDigit);
    expect((await start('logs-bad-number', wrongCheckDigit)).errors![0]!.extensions!.code).toBe('INVALID_ID_CARD_NUMBER');
    expect((await start('logs-bad-consent', number, { consentVersion: '2000-01-01' })).errors![0]!.extensions!.code).toBe('CONSENT_REQUIRED');
    expect((await start('logs-bad-return', number, { returnUrl: `https://evil.example/${number}` })).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    // graphql-js quotes a wrongly typed value back, by variable and inline.
    const token = await tokenFor('logs-bad-types');
    forbid(token);
    await startVerification(app, token, { realName: NAME, idCardNumber: [number] });
    await gql(app, `mutation { startVerification(input: { realName: ${JSON.stringify(NAME)}, idCardNumber: ${number.slice(0, 17)}, consentVersion: "${CONSENT_VERSION}" }) { id } }`, {}, token);
  });

  it('verifications the provider refuses', async () => {
    for (const idCardNumber of [SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, SANDBOX_MAGIC_NUMBERS.UNDER_14]) {
      expect((await start(`logs-refused-${idCardNumber.slice(-3)}`, idCardNumber)).data!.startVerification.status).toBe('FAILED');
    }
    const user = await startedUser(app, 'logs-face-fail', { name: NAME, idCardNumber: SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH });
    forbid(user.token);
    forbidNumber(user.idCardNumber);
    await app.sandbox!.complete(user.certifyId, 'pass');
  });

  it.each([
    ['Id2MetaVerify', 'http500'],
    ['Id2MetaVerify', 'reset'],
    ['InitFaceVerify', 'code500'],
    ['InitFaceVerify', 'malformed'],
    ['InitFaceVerify', 'badSignature'],
  ] as const)('a start while %s fails with %s', async (action, kind) => {
    app.sandbox!.setFault({ action, kind });
    expect((await start(`logs-outage-${action}-${kind}`, validIdNumber())).errors![0]!.extensions!.code).toBe('PROVIDER_UNAVAILABLE');
    expect(loggedMessages()).toContain('provider unavailable during start');
    if (action === 'Id2MetaVerify') expect(loggedMessages()).toContain('cloudauth endpoint unavailable, failing over');
  });

  it('a callback and a reconciler pass while DescribeFaceVerify fails', async () => {
    const user = await startedUser(app, 'logs-describe-down', { name: NAME });
    forbid(user.token);
    forbidNumber(user.idCardNumber);
    const client = wsClient(app, user.token);
    const watch = subscribe(client, WATCH, { id: user.verificationId });
    await watch.waitFor((events) => events.length === 1);

    app.sandbox!.setFault({ action: 'DescribeFaceVerify', kind: 'http500' });
    await app.sandbox!.complete(user.certifyId, 'pass');
    aheadMs = 10 * 60_000;
    expect(await app.services.results.reconcile()).toMatchObject({ settled: 0 });
    await client.dispose();
    expect(loggedMessages()).toEqual(expect.arrayContaining(['cloudauth endpoint unavailable, failing over', 'callback: provider unavailable', 'reconcile: provider unavailable']));
  });
});
