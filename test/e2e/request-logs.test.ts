import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';

interface Line {
  msg: string;
  requestId?: string;
  verificationId?: string;
  action?: string;
  path?: string;
  status?: number;
}

describe('log lines of a request', () => {
  let app: TestApp;
  const idCardNumber = validIdNumber('19850412');
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });
  const lines = () => app.logs.lines.map((line) => JSON.parse(line) as Line);

  it('carry its request id (the balancer\'s X-Request-Id) and, once known, the verification id', async () => {
    const requestId = 'edge-request-0001';
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('logs-user')}`, 'x-request-id': requestId },
      body: JSON.stringify({ query: START, variables: { input: { realName: '孙三', idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true } } }),
    });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const verification = ((await res.json()) as { data: { startVerification: { id: string; certifyId: string } } }).data.startVerification;
    const mine = lines().filter((line) => line.requestId === requestId);
    expect(mine.filter((l) => l.msg === 'provider call').map((l) => l.action)).toEqual(['Id2MetaVerify', 'InitFaceVerify']);
    expect(mine.find((l) => l.action === 'InitFaceVerify')!.verificationId).toBe(verification.id);
    expect(mine.find((l) => l.msg === 'request')).toMatchObject({ path: '/graphql', status: 200, verificationId: verification.id });

    // Aliyun's callback is another request: DescribeFaceVerify and its access line share its id.
    await app.sandbox!.complete(verification.certifyId, 'pass');
    const callback = lines().find((l) => l.msg === 'request' && l.path === '/callbacks/aliyun')!;
    expect(callback).toMatchObject({ status: 200, verificationId: verification.id });
    expect(callback.requestId).not.toBe(requestId);
    expect(lines().filter((l) => l.requestId === callback.requestId).map((l) => l.action ?? l.msg)).toEqual(['DescribeFaceVerify', 'request']);
  });

  it('make up a request id when the one sent is not one', async () => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad id' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never hold the name or the number', () => {
    const all = app.logs.lines.join('\n');
    expect(all).not.toContain(idCardNumber);
    expect(all).not.toContain('孙三');
  });
});
