import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, serviceToken, startTestApp, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';

const NAME = '欧阳明月';

/**
 * graphql-js quotes an offending value in its coercion errors ("String cannot represent a non
 * string value: 110101…"). Whatever a client sent, by variable or inline, over HTTP or graphql-ws,
 * an error must not carry a name or a number back (they end up in client logs and crash reports).
 */
describe('errors never echo a name or number they were sent', () => {
  let app: TestApp;
  let userToken: string;
  const number = validIdNumber();
  const digits = number.slice(0, 17);
  beforeAll(async () => {
    app = await startTestApp();
    userToken = await tokenFor('echo-user');
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function post(query: string, variables: Record<string, unknown> = {}, token = userToken) {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return res.text();
  }
  function expectNoEcho(text: string) {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.length, text).toBeGreaterThan(0);
    for (const error of body.errors!) expect(error.extensions?.code, text).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED)$/);
    for (const sent of [NAME, number, digits]) expect(text).not.toContain(sent);
  }

  const START_VARS = 'mutation($input: StartVerificationInput!) { startVerification(input: $input) { id } }';
  it.each([
    ['a number as a list', { input: { realName: NAME, idCardNumber: [number], consentVersion: CONSENT_VERSION, biometricConsent: true } }],
    ['a number as an object', { input: { realName: NAME, idCardNumber: { number }, consentVersion: CONSENT_VERSION, biometricConsent: true } }],
    ['a name as a number', { input: { realName: Number(digits), idCardNumber: number, consentVersion: CONSENT_VERSION, biometricConsent: true } }],
    ['a name as a list', { input: { realName: [NAME], idCardNumber: number, consentVersion: CONSENT_VERSION, biometricConsent: true } }],
    ['a biometric consent as a name', { input: { realName: NAME, idCardNumber: number, consentVersion: CONSENT_VERSION, biometricConsent: NAME } }],
    ['an unknown field', { input: { realName: NAME, idCardNumber: number, consentVersion: CONSENT_VERSION, biometricConsent: true, [`n${number}`]: NAME } }],
  ])('startVerification by variables: %s', async (_what, variables) => {
    expectNoEcho(await post(START_VARS, variables));
  });

  it.each([
    ['a number as an integer', `idCardNumber: ${digits}`],
    ['a number as an object', `idCardNumber: { n: "${number}" }`],
    ['a name as a list', `idCardNumber: "${number}", realName: ["${NAME}"]`],
    ['a name as an enum value', `idCardNumber: "${number}", realName: ${'X'.repeat(3)}${digits}`],
  ])('startVerification inline: %s', async (_what, fields) => {
    const withName = fields.includes('realName') ? fields : `${fields}, realName: "${NAME}"`;
    expectNoEcho(await post(`mutation { startVerification(input: { ${withName}, consentVersion: "${CONSENT_VERSION}", biometricConsent: true }) { id } }`));
  });

  it.each([
    ['verification', `query($v: ID!) { verification(id: $v) { id } }`, { v: { number, name: NAME } }],
    ['cancelVerification', `mutation($v: ID!) { cancelVerification(id: $v) { id } }`, { v: [number, NAME] }],
  ])('%s by variables', async (_what, query, variables) => {
    expectNoEcho(await post(query, variables));
  });

  it('verifyIdentity for a service, by variables', async () => {
    expectNoEcho(await post(`mutation($u: ID) { verifyIdentity(userId: $u) { passed } }`, { u: { number, name: NAME } }, await serviceToken()));
  });

  it('verificationResult over graphql-ws, by variables and inline', async () => {
    const client = wsClient(app, userToken);
    try {
      for (const [query, variables] of [
        ['subscription($id: ID!) { verificationResult(id: $id) { id } }', { id: { number, name: NAME } }],
        [`subscription { verificationResult(id: { n: "${number}", m: "${NAME}" }) { id } }`, {}],
      ] as const) {
        const errors = await new Promise<unknown>((resolve) => {
          client.subscribe({ query, variables }, { next: (value) => resolve(value.errors), error: resolve, complete: () => resolve(undefined) });
        });
        expectNoEcho(JSON.stringify({ errors }));
      }
    } finally {
      await client.dispose();
    }
  });
});
