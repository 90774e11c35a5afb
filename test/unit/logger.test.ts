import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { LogCapture } from '../support/app.js';

const NAME = '欧阳明月';
const NUMBER = '11010519491231002X';

/** The second wall: code should never log personal data, and when it does, the logger censors it. */
describe(createLogger.name, () => {
  function logged(object: object): string {
    const capture = new LogCapture();
    createLogger('info', capture).warn(object, 'something happened');
    expect(capture.lines).toHaveLength(1);
    return capture.lines[0]!;
  }

  it.each([
    ['a name and a number at the top', { realName: NAME, idCardNumber: NUMBER, idNumber: NUMBER, name: NAME }],
    ['a name and a number one level down', { input: { realName: NAME, idCardNumber: NUMBER }, applicant: { idNumber: NUMBER, name: NAME } }],
    ["Aliyun's parameters", { CertName: NAME, CertNo: NUMBER, params: { CertName: NAME, CertNo: NUMBER, certName: NAME, certNo: NUMBER } }],
    ['GraphQL variables', { variables: { anything: `${NAME} ${NUMBER}` }, request: { variables: { input: { realName: NAME, idCardNumber: NUMBER } } } }],
    ['a face image', { imageBase64: NUMBER, face: { imageBase64: NUMBER } }],
  ])('censors %s', (_what, object) => {
    const line = logged(object);
    expect(line).not.toContain(NAME);
    expect(line).not.toContain(NUMBER);
    expect(line).toContain('[REDACTED]');
  });

  it.each([
    ['an authorization header', { req: { headers: { authorization: 'Bearer eyJ.secret.token', cookie: 'session=secret.token' } } }],
    ['tokens', { token: 'secret.token', callbackToken: 'secret.token', authorization: 'Bearer secret.token', ws: { token: 'secret.token', callbackToken: 'secret.token' } }],
  ])('censors %s', (_what, object) => {
    const line = logged(object);
    expect(line).not.toContain('secret.token');
    expect(line).toContain('[REDACTED]');
  });

  it('keeps what is not personal', () => {
    expect(JSON.parse(logged({ verificationId: 'v-1', providerCode: '500' }))).toMatchObject({ verificationId: 'v-1', providerCode: '500', msg: 'something happened' });
  });
});
