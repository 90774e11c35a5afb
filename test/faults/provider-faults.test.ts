import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import type { SandboxFaultKind } from '../../src/providers/sandbox/faults.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { CONSENT_VERSION, gql, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';

const OUTAGES: { kind: SandboxFaultKind; ms?: number }[] = [
  { kind: 'delay', ms: 1_500 },
  { kind: 'timeout' },
  { kind: 'reset' },
  { kind: 'http500' },
  { kind: 'code500' },
  { kind: 'malformed' },
  { kind: 'badSignature' },
];
const STATUS = `query($id: ID!) { verification(id: $id) { id status failureReason { code } } }`;
const sandboxKeys = { accessKeyId: 'sandbox-access-key-id', accessKeySecret: 'sandbox-access-key-secret' };
const calls = (sandbox: Sandbox, action: string) => sandbox.calls.filter((c) => c.action === action).length;
let users = 0;

async function start(app: TestApp, idCardNumber = validIdNumber()) {
  const userId = `provider-fault-${++users}`;
  const token = await tokenFor(userId);
  const res = await startVerification(app, token, { idCardNumber });
  return { userId, token, res, verification: res.data?.startVerification };
}

describe('provider faults during startVerification', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { PROVIDER_TIMEOUT_MS: '300', RECONCILE_AFTER_SECONDS: '0', START_LIMIT_PER_IP: '1000' } });
  });
  afterEach(() => app.sandbox!.clearFaults());
  afterAll(() => app?.stop());

  // Id2MetaVerify is a read, tried twice; InitFaceVerify creates a session, tried once.
  const cases = OUTAGES.flatMap((fault) => [
    { ...fault, action: 'Id2MetaVerify', times: 2 },
    { ...fault, action: 'InitFaceVerify', times: 1 },
  ]);

  it.each(cases)('answers PROVIDER_UNAVAILABLE, writes nothing and lets the user retry when $action meets $kind', async (fault) => {
    app.sandbox!.setFault(fault);
    const before = calls(app.sandbox!, fault.action);
    const userId = `provider-fault-${++users}`;
    const token = await tokenFor(userId);
    const input = { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true };

    const failed = await gql(app, START, { input }, token);
    expect(failed.errors?.map((e) => e.extensions?.code)).toEqual(['PROVIDER_UNAVAILABLE']);
    expect(calls(app.sandbox!, fault.action)).toBe(before + fault.times);
    expect(await verificationRepository.allForUser(app.db, userId)).toEqual([]);
    expect(await auditRepository.forUser(app.db, userId)).toEqual([]);

    const retried = await gql(app, START, { input }, token);
    expect(retried.data?.startVerification.status).toBe('PENDING');
  });

  it('retries Id2MetaVerify, a read, once and succeeds', async () => {
    app.sandbox!.setFault({ kind: 'reset', action: 'Id2MetaVerify', times: 1 });
    const before = calls(app.sandbox!, 'Id2MetaVerify');
    const { verification } = await start(app);
    expect(verification.status).toBe('PENDING');
    expect(calls(app.sandbox!, 'Id2MetaVerify')).toBe(before + 2);
  });

  it('records a provider rejection as FAILED with its reason, not as an outage', async () => {
    const { verification } = await start(app, '11010119900101004X');
    expect(verification).toMatchObject({ status: 'FAILED', failureReason: { code: 'TOO_MANY_ATTEMPTS' } });
  });

  it('keeps a verification PENDING when DescribeFaceVerify fails at callback time, and the reconciler settles it', async () => {
    const { token, verification } = await start(app);
    app.sandbox!.setFault({ kind: 'http500', action: 'DescribeFaceVerify' });
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    expect(app.sandbox!.callbacks.at(-1)).toMatchObject({ ok: false, status: 503 });
    expect((await gql(app, STATUS, { id: verification.id }, token)).data!.verification.status).toBe('PENDING');

    app.sandbox!.clearFaults();
    await app.services.results.reconcile();
    expect((await gql(app, STATUS, { id: verification.id }, token)).data!.verification.status).toBe('VERIFIED');
  });
});

describe('provider circuit breaker through the API', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { PROVIDER_TIMEOUT_MS: '300' } });
  });
  afterAll(() => app?.stop());

  it('fails fast with PROVIDER_UNAVAILABLE, without calling the provider, once the circuit is open', async () => {
    app.sandbox!.setFault({ kind: 'http500' });
    let unanswered = 0;
    for (let attempt = 0; attempt < 10 && unanswered === 0; attempt++) {
      const before = app.sandbox!.calls.length;
      const { res } = await start(app);
      expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
      if (app.sandbox!.calls.length === before) unanswered++;
    }
    expect(unanswered).toBe(1);
  });
});

describe('provider failover through the API', () => {
  let primary: Sandbox;
  let failover: Sandbox;
  let app: TestApp;
  beforeAll(async () => {
    [primary, failover] = await Promise.all([startSandbox({ port: 0, ...sandboxKeys, allowHttpCallbacks: true }), startSandbox({ port: 0, ...sandboxKeys, allowHttpCallbacks: true })]);
  });
  // A fresh app each time: each holds its own circuit breakers.
  beforeEach(async () => {
    app = await startTestApp({ env: { PROVIDER_TIMEOUT_MS: '300', SANDBOX_URL: primary.url, SANDBOX_FAILOVER_URL: failover.url } });
  });
  afterEach(async () => {
    await app?.stop();
    primary.clearFaults();
    failover.clearFaults();
  });
  afterAll(() => Promise.all([primary?.close(), failover?.close()]));

  it('starts on the second endpoint and verifies through it while the first answers HTTP 500', async () => {
    primary.setFault({ kind: 'http500' });
    const { token, verification } = await start(app);
    expect(verification.status).toBe('PENDING');
    expect(verification.certifyUrl.startsWith(failover.url)).toBe(true);

    expect(await failover.complete(verification.certifyId, 'pass')).toBe('done');
    expect((await gql(app, STATUS, { id: verification.id }, token)).data!.verification.status).toBe('VERIFIED');
  });

  it('does not fail InitFaceVerify over after a timeout, since the first endpoint may have created a session', async () => {
    primary.setFault({ kind: 'timeout', action: 'InitFaceVerify', times: 1 });
    const before = calls(failover, 'InitFaceVerify');
    const { res } = await start(app);
    expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(calls(failover, 'InitFaceVerify')).toBe(before);
  });
});
