import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consents, verifications } from '../../src/db/schema.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { CONSENT_VERSION, gql, serviceToken, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber, validPermitNumber } from '../support/id-numbers.js';
import { startInput, startVerification } from '../support/verified-user.js';

const CANCEL = `mutation($id: ID!) { cancelVerification(id: $id) { id status failureReason { code } } }`;
const READ = `query($id: ID!) { verification(id: $id) { id status failureReason { code } } }`;
const EXTRA_ORIGIN = 'https://app.example.test';

describe('startVerification', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Every request here comes from 127.0.0.1: the per-IP budget is not what this file is about.
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000', RETURN_URL_ORIGINS: EXTRA_ORIGIN } });
  });
  afterEach(() => app.sandbox!.clearFaults());
  afterAll(async () => {
    await app?.stop();
  });

  async function start(userId: string, input: Record<string, unknown> = {}, headers?: Record<string, string>) {
    const token = await tokenFor(userId);
    const res = await startVerification(app, token, input, headers);
    return { token, res, verification: res.data?.startVerification, code: res.errors?.[0]?.extensions?.code as string | undefined };
  }

  const recordsOf = (userId: string) => verificationRepository.allForUser(app.db, userId);

  describe('an open attempt', () => {
    it('returns the same PENDING verification when the same name and number come again', async () => {
      const idCardNumber = validIdNumber();
      const first = await start('open-same', { idCardNumber });
      const again = await start('open-same', { idCardNumber });
      expect(again.verification).toMatchObject({ id: first.verification.id, status: 'PENDING', certifyUrl: first.verification.certifyUrl });
      expect(await recordsOf('open-same')).toHaveLength(1);
    });

    it('is canceled as SUPERSEDED when a different number starts anew', async () => {
      const first = await start('open-other');
      const second = await start('open-other');
      expect(second.verification.id).not.toBe(first.verification.id);
      expect(second.verification.status).toBe('PENDING');
      const old = await gql(app, READ, { id: first.verification.id }, first.token);
      expect(old.data!.verification).toMatchObject({ status: 'CANCELED', failureReason: { code: 'SUPERSEDED' } });
    });

    it('is canceled as SUPERSEDED when the same number comes with a different name', async () => {
      const idCardNumber = validIdNumber();
      const first = await start('open-rename', { idCardNumber });
      const second = await start('open-rename', { idCardNumber, realName: '李四' });
      expect(second.verification.id).not.toBe(first.verification.id);
      expect((await verificationRepository.byId(app.db, first.verification.id))).toMatchObject({ status: 'CANCELED', failureCode: 'SUPERSEDED' });
    });
  });

  it('refuses a user whose identity is verified and valid with ALREADY_VERIFIED', async () => {
    const first = await start('already-verified');
    expect(await app.sandbox!.complete(first.verification.certifyId, 'pass')).toBe('done');
    expect((await verificationRepository.byId(app.db, first.verification.id))!.status).toBe('VERIFIED');
    expect((await start('already-verified')).code).toBe('ALREADY_VERIFIED');
  });

  describe('idempotencyKey', () => {
    it('returns the earlier record for a repeated key', async () => {
      const input = { idCardNumber: validIdNumber(), idempotencyKey: 'retry-0000-0001' };
      const first = await start('idem-repeat', input);
      const again = await start('idem-repeat', input);
      expect(again.verification.id).toBe(first.verification.id);
      expect(await recordsOf('idem-repeat')).toHaveLength(1);
    });

    it('answers a repeated key with the earlier record even when it ended, without asking Aliyun again', async () => {
      const input = { idCardNumber: SANDBOX_MAGIC_NUMBERS.NO_RECORD, idempotencyKey: 'retry-0000-0004' };
      const first = await start('idem-failed', input);
      expect(first.verification).toMatchObject({ status: 'FAILED' });
      const checks = () => app.sandbox!.calls.filter((c) => c.action === 'Id2MetaVerify').length;
      const before = checks();
      expect((await start('idem-failed', input)).verification.id).toBe(first.verification.id);
      expect(checks()).toBe(before);
    });

    it("keeps each user's keys apart: the same key from another user starts that user's own verification", async () => {
      const idempotencyKey = 'retry-0000-0003';
      const mine = await start('idem-mine', { idempotencyKey });
      const theirs = await start('idem-theirs', { idempotencyKey });
      expect(theirs.verification.id).not.toBe(mine.verification.id);
      expect(await recordsOf('idem-theirs')).toHaveLength(1);
    });

    it('creates one record for five concurrent calls with one key', async () => {
      const input = { idCardNumber: validIdNumber(), idempotencyKey: 'retry-0000-0002' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => start('idem-parallel', input)));
      expect(answers.map((a) => a.code)).toEqual(Array(5).fill(undefined));
      expect(new Set(answers.map((a) => a.verification.id)).size).toBe(1);
      expect(await recordsOf('idem-parallel')).toHaveLength(1);
      // One attempt shared, not five racing to the unique index: one consent, one budget point.
      expect(await app.db.select().from(consents).where(eq(consents.userId, 'idem-parallel'))).toHaveLength(1);
    });

    it('never shares an attempt between users starting at once, whatever their keys', async () => {
      const idempotencyKey = 'retry-0000-0005';
      const [a, b] = await Promise.all([start('idem-at-once-a', { idempotencyKey }), start('idem-at-once-b', { idempotencyKey: 'retry-0000-0006' })]);
      expect(a.verification.id).not.toBe(b.verification.id);
      expect((await recordsOf('idem-at-once-b')).map((v) => v.id)).toEqual([b.verification.id]);
    });
  });

  describe('returnUrl', () => {
    it.each([
      ['another site', 'https://evil.example.com/steal'],
      ['a look-alike host', `${EXTRA_ORIGIN}.evil.example.com/done`],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['not a URL', 'done'],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_what, returnUrl) => {
      const userId = `return-bad-${returnUrl.length}`;
      expect((await start(userId, { returnUrl })).code).toBe('BAD_USER_INPUT');
      expect(await recordsOf(userId)).toHaveLength(0);
    });

    it.each([
      ["PUBLIC_BASE_URL's origin", () => `http://localhost:${app.port}/verified?from=realname`],
      ['an origin in RETURN_URL_ORIGINS', () => `${EXTRA_ORIGIN}/verification/done`],
    ])('accepts %s and the certify page sends the user there', async (what, returnUrl) => {
      const { verification, code } = await start(`return-ok-${what.length}`, { returnUrl: returnUrl() });
      expect(code).toBeUndefined();
      const press = await fetch(verification.certifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ outcome: 'pass' }),
        redirect: 'manual',
      });
      expect(press.status).toBe(303);
      expect(press.headers.get('location')).toBe(returnUrl());
    });
  });

  describe('consent', () => {
    it('refuses a consentVersion other than the current terms with CONSENT_REQUIRED', async () => {
      expect((await start('consent-old', { consentVersion: '2020-01-01' })).code).toBe('CONSENT_REQUIRED');
      expect(await recordsOf('consent-old')).toHaveLength(0);
    });

    it('refuses a start without biometricConsent: the face consent is explicit, never assumed', async () => {
      const token = await tokenFor('consent-none');
      const { biometricConsent: _omitted, ...input } = startInput();
      const res = await gql(app, START, { input }, token);
      expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(await recordsOf('consent-none')).toHaveLength(0);
      expect(await app.db.select().from(consents).where(eq(consents.userId, 'consent-none'))).toHaveLength(0);
    });

    it('has recorded and committed the consent when the name and number reach Aliyun, even if Aliyun then fails', async () => {
      const userId = 'consent-first';
      app.sandbox!.setFault({ action: 'Id2MetaVerify', kind: 'http500' });
      expect((await start(userId, { idCardNumber: validIdNumber() }, { 'user-agent': 'consent-test/1.0' })).code).toBe('PROVIDER_UNAVAILABLE');
      expect(await recordsOf(userId)).toHaveLength(0);
      const [consent, ...more] = await app.db.select().from(consents).where(eq(consents.userId, userId));
      expect(more).toEqual([]);
      expect(consent).toMatchObject({ version: CONSENT_VERSION, biometric: true, userAgent: 'consent-test/1.0', clientIp: expect.any(String) });
    });

    it('refuses biometricConsent false with CONSENT_REQUIRED', async () => {
      expect((await start('consent-face', { biometricConsent: false })).code).toBe('CONSENT_REQUIRED');
      expect(await recordsOf('consent-face')).toHaveLength(0);
    });
  });

  describe('sandbox magic numbers', () => {
    it.each([
      ['name and number mismatch', SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, 'IDENTITY_NOT_CONFIRMED'],
      ['no such identity', SANDBOX_MAGIC_NUMBERS.NO_RECORD, 'IDENTITY_NOT_CONFIRMED'],
      ['under 14', SANDBOX_MAGIC_NUMBERS.UNDER_14, 'UNDER_AGE'],
      ['too many attempts today', SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS, 'TOO_MANY_ATTEMPTS'],
    ])('ends FAILED on %s', async (_what, idCardNumber, reason) => {
      const { verification, code } = await start(`magic-${reason}`, { idCardNumber });
      expect(code).toBeUndefined();
      expect(verification).toMatchObject({ status: 'FAILED', certifyUrl: null, failureReason: { code: reason } });
      expect(verification.failureReason.message).toMatch(/\p{Script=Han}/u);
    });
  });

  describe('a failed identity check', () => {
    it('answers a mismatch and an unknown identity alike, and keeps which one it was in the audit trail only', async () => {
      const mismatch = await start('check-mismatch', { idCardNumber: SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH });
      const unknown = await start('check-unknown', { idCardNumber: SANDBOX_MAGIC_NUMBERS.NO_RECORD });
      expect(mismatch.verification.failureReason).toEqual(unknown.verification.failureReason);
      expect(mismatch.verification.failureReason.message).toContain('姓名');
      const failedEvent = async (userId: string) => (await auditRepository.forUser(app.db, userId)).find((e) => e.action === 'verification.failed')!.detail;
      expect(await failedEvent('check-mismatch')).toMatchObject({ failureCode: 'IDENTITY_NOT_CONFIRMED', identityMatch: 'MISMATCH' });
      expect(await failedEvent('check-unknown')).toMatchObject({ failureCode: 'IDENTITY_NOT_CONFIRMED', identityMatch: 'NO_RECORD' });
    });
  });

  describe('cancelVerification', () => {
    it('lets the owner cancel an open verification', async () => {
      const { token, verification } = await start('cancel-owner');
      const res = await gql(app, CANCEL, { id: verification.id }, token);
      expect(res.data!.cancelVerification).toEqual({ id: verification.id, status: 'CANCELED', failureReason: { code: 'CANCELED_BY_USER' } });
    });

    it("answers NOT_FOUND to another user and leaves the verification open", async () => {
      const { verification } = await start('cancel-victim');
      const res = await gql(app, CANCEL, { id: verification.id }, await tokenFor('cancel-intruder'));
      expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      expect((await verificationRepository.byId(app.db, verification.id))!.status).toBe('PENDING');
    });
  });

  it('refuses a service token with FORBIDDEN, to start and to cancel', async () => {
    const res = await startVerification(app, await serviceToken());
    expect(res.errors![0]).toMatchObject({ message: '服务账号不能发起实名认证', extensions: { code: 'FORBIDDEN' } });
    const { verification } = await start('cancel-by-service');
    const canceled = await gql(app, CANCEL, { id: verification.id }, await serviceToken());
    expect(canceled.errors![0]).toMatchObject({ message: '服务账号不能取消实名认证', extensions: { code: 'FORBIDDEN' } });
    expect((await verificationRepository.byId(app.db, verification.id))!.status).toBe('PENDING');
  });

  describe('when the provider is unavailable', () => {
    it.each([
      ['Id2MetaVerify answers HTTP 500', { action: 'Id2MetaVerify', kind: 'http500' }],
      ['InitFaceVerify answers Code 500', { action: 'InitFaceVerify', kind: 'code500' }],
      ['InitFaceVerify drops the connection', { action: 'InitFaceVerify', kind: 'reset' }],
    ] as const)('answers PROVIDER_UNAVAILABLE and writes no verification when %s; a retry works', async (what, fault) => {
      const userId = `unavailable-${fault.kind}`;
      // A client's retry sends the very same input, key included: the key must not have been used up.
      const input = { idCardNumber: validIdNumber(), idempotencyKey: `unavailable-${fault.kind}` };
      app.sandbox!.setFault(fault);
      const refused = await start(userId, input);
      expect(refused.code, what).toBe('PROVIDER_UNAVAILABLE');
      expect(await recordsOf(userId)).toHaveLength(0);
      const warned = app.logs.lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'provider unavailable during start');
      expect(warned.at(-1), what).toMatchObject({ level: 40, providerCode: expect.any(String) });

      app.sandbox!.clearFaults();
      const retried = await start(userId, input);
      expect(retried.verification).toMatchObject({ status: 'PENDING', maskedIdCardNumber: `${input.idCardNumber.slice(0, 6)}********${input.idCardNumber.slice(-4)}` });
      expect(await recordsOf(userId)).toHaveLength(1);
      expect((await start(userId, input)).verification.id).toBe(retried.verification.id);
    });
  });
});

describe('the rules of a start, at their edges', () => {
  let app: TestApp;
  /** Set to hold the app's clock still at an instant; undefined lets it run. */
  let frozen: Date | undefined;
  const META = { clientIp: '127.0.0.1', userAgent: 'start-rules/1.0' };
  const user = (userId: string) => ({ kind: 'user', userId }) as const;
  const service = { kind: 'service', subject: 'letter-backend' } as const;
  const input = (idCardNumber = validIdNumber()) => ({ realName: '张三', idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true });
  const refusalOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
    );
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' }, overrides: { clock: () => frozen ?? new Date() } });
  });
  afterEach(() => {
    frozen = undefined;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('takes a new start at the very instant the identity expires, not a millisecond before', async () => {
    const first = await app.services.verifications.start(user('edge-expiry'), input(), META);
    expect(await app.sandbox!.complete(first.certifyId!, 'pass')).toBe('done');
    const { expiresAt } = (await identityRepository.byUser(app.db, 'edge-expiry'))!;
    frozen = new Date(expiresAt.getTime() - 1);
    expect(await refusalOf(app.services.verifications.start(user('edge-expiry'), input(), META))).toMatchObject({ code: 'ALREADY_VERIFIED' });
    frozen = expiresAt;
    expect(await app.services.verifications.start(user('edge-expiry'), input(), META)).toMatchObject({ status: 'PENDING' });
  });

  it('starts anew for the same applicant once the open attempt has expired, even before the reconciler closed it', async () => {
    const idCardNumber = validIdNumber();
    const open = await app.services.verifications.start(user('edge-open'), input(idCardNumber), META);
    frozen = new Date(open.expiresAt.getTime() - 1);
    expect((await app.services.verifications.start(user('edge-open'), input(idCardNumber), META)).id).toBe(open.id);
    frozen = open.expiresAt;
    expect((await app.services.verifications.start(user('edge-open'), input(idCardNumber), META)).id).not.toBe(open.id);
  });

  it('gives a first-verification start its own attempt rather than an open renewal of the same applicant', async () => {
    const idCardNumber = validIdNumber();
    const first = await app.services.verifications.start(user('edge-purpose'), input(idCardNumber), META);
    expect(await app.sandbox!.complete(first.certifyId!, 'pass')).toBe('done');
    frozen = new Date((await identityRepository.byUser(app.db, 'edge-purpose'))!.expiresAt.getTime() + 86_400_000);
    const renewal = await app.services.verifications.renew(user('edge-purpose'), { consentVersion: CONSENT_VERSION, biometricConsent: true }, META);
    expect(renewal).toMatchObject({ status: 'PENDING', purpose: 'RENEWAL' });
    const fresh = await app.services.verifications.start(user('edge-purpose'), input(idCardNumber), META);
    expect(fresh).toMatchObject({ status: 'PENDING', purpose: 'VERIFY' });
    expect(fresh.id).not.toBe(renewal.id);
  });

  it('gives a WeChat capture start its own attempt rather than the open certify page of the same applicant', async () => {
    const idCardNumber = validIdNumber();
    const h5 = await app.services.verifications.start(user('edge-channel'), input(idCardNumber), META);
    const capture = await app.services.verifications.start(user('edge-channel'), input(idCardNumber), META, 'CAPTURE');
    expect(capture).toMatchObject({ status: 'PENDING', certifyUrl: null });
    expect(capture.id).not.toBe(h5.id);
  });

  it('takes an applicant on their fourteenth birthday, and not the day before (Beijing dates)', async () => {
    frozen = new Date('2026-06-15T04:00:00Z');
    expect(await app.services.verifications.start(user('edge-age-14'), input(validIdNumber('20120615')), META)).toMatchObject({ status: 'PENDING' });
    expect(await app.services.verifications.start(user('edge-age-13'), input(validIdNumber('20120616')), META)).toMatchObject({ status: 'FAILED', failureCode: 'UNDER_AGE' });
  });

  it('refuses a renewal or step-up from a service, without the face consent, or with the held name erased, each with its sentence', async () => {
    const faceCheck = { consentVersion: CONSENT_VERSION, biometricConsent: true };
    for (const attempt of [app.services.verifications.renew(service, faceCheck, META), app.services.verifications.startStepUp(service, faceCheck, META)]) {
      expect(await refusalOf(attempt)).toEqual({ code: 'FORBIDDEN', message: '服务账号不能发起实名认证' });
    }
    expect(await refusalOf(app.services.verifications.startStepUp(user('edge-no-consent'), { ...faceCheck, biometricConsent: false }, META))).toMatchObject({ code: 'CONSENT_REQUIRED' });
    const held = await app.services.verifications.start(user('edge-erased'), input(), META);
    expect(await app.sandbox!.complete(held.certifyId!, 'pass')).toBe('done');
    await app.db.update(verifications).set({ nameCipher: null }).where(eq(verifications.id, held.id));
    expect(await refusalOf(app.services.verifications.startStepUp(user('edge-erased'), faceCheck, META))).toEqual({ code: 'NOT_FOUND', message: '没有可续期的实名认证,请重新进行实名认证' });
  });
});

describe('a document this deployment does not verify online (ACCEPTED_DOCUMENTS)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000', ACCEPTED_DOCUMENTS: 'RESIDENT_ID_CARD' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('ends FAILED with DOCUMENT_NOT_ACCEPTED, before Aliyun is asked anything', async () => {
    const calls = app.sandbox!.calls.length;
    const row = await app.services.verifications.start(
      { kind: 'user', userId: 'not-accepted' },
      { realName: '陈大文', idCardNumber: validPermitNumber('81'), documentType: 'HK_MACAO_RESIDENCE_PERMIT', consentVersion: CONSENT_VERSION, biometricConsent: true },
      { clientIp: '127.0.0.1', userAgent: 'start-rules/1.0' },
    );
    expect(row).toMatchObject({ status: 'FAILED', failureCode: 'DOCUMENT_NOT_ACCEPTED' });
    expect(app.sandbox!.calls.length).toBe(calls);
  });
});
