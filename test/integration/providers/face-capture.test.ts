import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identities } from '../../../src/db/schema.js';
import { SANDBOX_MAGIC_IMAGES } from '../../../src/providers/sandbox/magic-images.js';
import { auditRepository } from '../../../src/repositories/audit.repository.js';
import { faceImageRepository } from '../../../src/repositories/face-image.repository.js';
import { CONSENT_VERSION, gql, START, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../../support/app.js';
import { validIdNumber } from '../../support/id-numbers.js';

const START_CAPTURE = /* GraphQL */ `
  mutation($input: StartVerificationInput!) {
    startFaceCapture(input: $input) { id status certifyUrl faceCaptureUrl failureReason { code } }
  }
`;
const WATCH = /* GraphQL */ `subscription($id: ID!) { verificationResult(id: $id) { id status failureReason { code } } }`;
const STATUS = /* GraphQL */ `query { userAuthStatus { status isValid } }`;

describe('the WeChat path: startFaceCapture, then the photo (ContrastFaceVerify ID_MIN)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000', FACE_IMAGE_RETENTION_DAYS: '30' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function startCapture(userId: string, idCardNumber = validIdNumber()) {
    const token = await tokenFor(userId);
    const res = await gql(app, START_CAPTURE, { input: { realName: '张三', idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true } }, token);
    expect(res.errors).toBeUndefined();
    return { token, verification: res.data!.startFaceCapture as { id: string; status: string; certifyUrl: string | null; faceCaptureUrl: string } };
  }

  function upload(url: string, token: string | undefined, body: Buffer, type = 'image/jpeg') {
    const headers: Record<string, string> = { 'content-type': type };
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(url, { method: 'POST', headers, body });
  }

  it('verifies with a passing photo: same result, subscription, audit and gate as the H5 path', async () => {
    const { token, verification } = await startCapture('wx-pass');
    expect(verification).toMatchObject({ status: 'PENDING', certifyUrl: null });
    expect(verification.faceCaptureUrl).toBe(`${app.url.replace('127.0.0.1', 'localhost')}/face-captures/${verification.id}`);

    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id: verification.id });
    await watch.waitFor((events) => events.length === 1);

    const response = await upload(`${app.url}/face-captures/${verification.id}`, token, SANDBOX_MAGIC_IMAGES.PASS);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ verification: { id: verification.id, status: 'VERIFIED', failureReason: null } });

    await watch.done;
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();
    expect((await auditRepository.forUser(app.db, 'wx-pass')).map((e) => e.action)).toEqual(['verification.started', 'verification.verified']);
    expect((await gql(app, STATUS, {}, token)).data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true });
    // Kept only because a retention period is configured, and sealed: the plaintext is nowhere in the row.
    const [kept] = await faceImageRepository.ofUser(app.db, 'wx-pass');
    expect(kept?.imageCipher.includes(SANDBOX_MAGIC_IMAGES.PASS)).toBe(false);
  });

  it.each([
    ['FACE_MISMATCH', SANDBOX_MAGIC_IMAGES.FACE_MISMATCH],
    ['LIVENESS_RISK', SANDBOX_MAGIC_IMAGES.LIVENESS_RISK],
  ])('ends FAILED %s with a failing photo', async (code, image) => {
    const { token, verification } = await startCapture(`wx-${code}`);
    const response = await upload(`${app.url}/face-captures/${verification.id}`, token, image);
    expect(await response.json()).toMatchObject({ verification: { status: 'FAILED', failureReason: { code } } });
    expect(await faceImageRepository.ofUser(app.db, `wx-${code}`)).toEqual([]);
  });

  it('compares once: a second upload after the result answers the same record without calling Aliyun', async () => {
    const { token, verification } = await startCapture('wx-twice');
    await upload(`${app.url}/face-captures/${verification.id}`, token, SANDBOX_MAGIC_IMAGES.PASS);
    const calls = app.sandbox!.calls.filter((c) => c.action === 'ContrastFaceVerify').length;
    const again = await upload(`${app.url}/face-captures/${verification.id}`, token, SANDBOX_MAGIC_IMAGES.FACE_MISMATCH);
    expect(await again.json()).toMatchObject({ verification: { status: 'VERIFIED' } });
    expect(app.sandbox!.calls.filter((c) => c.action === 'ContrastFaceVerify').length).toBe(calls);
  });

  describe('renewal and step-up with the camera (faceCapture: true)', () => {
    const FACE_CHECK = /* GraphQL */ `
      mutation($input: FaceCheckInput!, $renew: Boolean!) {
        renewVerification(input: $input) @include(if: $renew) { id status purpose certifyUrl faceCaptureUrl maskedName }
        startStepUp(input: $input) @skip(if: $renew) { id status purpose certifyUrl faceCaptureUrl maskedName }
      }
    `;
    async function verifiedWithCamera(userId: string) {
      const { token, verification } = await startCapture(userId);
      await upload(`${app.url}/face-captures/${verification.id}`, token, SANDBOX_MAGIC_IMAGES.PASS);
      return token;
    }
    async function faceCheck(token: string, renew: boolean) {
      const res = await gql(app, FACE_CHECK, { input: { consentVersion: CONSENT_VERSION, biometricConsent: true, faceCapture: true }, renew }, token);
      expect(res.errors).toBeUndefined();
      return (renew ? res.data!.renewVerification : res.data!.startStepUp) as { id: string; status: string; purpose: string; certifyUrl: string | null; faceCaptureUrl: string | null };
    }
    const identityOf = async (userId: string) => (await app.db.select().from(identities).where(eq(identities.userId, userId)))[0]!;

    it('steps up: no certify page, the photo posted to faceCaptureUrl, only the face-check time moves, no image kept', async () => {
      const token = await verifiedWithCamera('wx-step-up');
      const before = await identityOf('wx-step-up');
      const stepUp = await faceCheck(token, false);
      expect(stepUp).toMatchObject({ status: 'PENDING', purpose: 'STEP_UP', certifyUrl: null, faceCaptureUrl: expect.stringContaining(`/face-captures/${stepUp.id}`) });
      const response = await upload(`${app.url}/face-captures/${stepUp.id}`, token, SANDBOX_MAGIC_IMAGES.PASS);
      expect(await response.json()).toMatchObject({ verification: { id: stepUp.id, status: 'VERIFIED' } });
      const after = await identityOf('wx-step-up');
      expect(after.faceCheckedAt!.getTime()).toBeGreaterThan(before.faceCheckedAt!.getTime());
      expect(after.expiresAt).toEqual(before.expiresAt);
      expect((await faceImageRepository.ofUser(app.db, 'wx-step-up')).map((image) => image.verificationId)).not.toContain(stepUp.id);
    });

    it('renews inside the window: the identity starts a new validity; a failing photo leaves it as it was', async () => {
      const token = await verifiedWithCamera('wx-renew');
      const soon = new Date(Date.now() + 5 * 86_400_000);
      await app.db.update(identities).set({ expiresAt: soon }).where(eq(identities.userId, 'wx-renew'));
      const failing = await faceCheck(token, true);
      await upload(`${app.url}/face-captures/${failing.id}`, token, SANDBOX_MAGIC_IMAGES.FACE_MISMATCH);
      expect((await identityOf('wx-renew')).expiresAt).toEqual(soon);

      const renewal = await faceCheck(token, true);
      expect(renewal).toMatchObject({ status: 'PENDING', purpose: 'RENEWAL', certifyUrl: null });
      const response = await upload(renewal.faceCaptureUrl!.replace('localhost', '127.0.0.1'), token, SANDBOX_MAGIC_IMAGES.PASS);
      expect(await response.json()).toMatchObject({ verification: { id: renewal.id, status: 'VERIFIED' } });
      expect((await identityOf('wx-renew')).expiresAt.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    });

    it('keeps the H5 path without it: a certify page, no upload address', async () => {
      const token = await verifiedWithCamera('wx-step-up-h5');
      const res = await gql(app, FACE_CHECK, { input: { consentVersion: CONSENT_VERSION, biometricConsent: true }, renew: false }, token);
      expect(res.data!.startStepUp).toMatchObject({ status: 'PENDING', certifyUrl: expect.any(String), faceCaptureUrl: null });
    });
  });

  describe('refuses before Aliyun is called', () => {
    let token: string;
    let url: string;
    beforeAll(async () => {
      const started = await startCapture('wx-refusals');
      token = started.token;
      url = `${app.url}/face-captures/${started.verification.id}`;
    });

    it.each([
      ['no token', () => upload(url, undefined, SANDBOX_MAGIC_IMAGES.PASS), 401, 'UNAUTHENTICATED'],
      ['a type other than JPEG or PNG', () => upload(url, token, SANDBOX_MAGIC_IMAGES.PASS, 'image/gif'), 415, 'BAD_USER_INPUT'],
      ['bytes that are not an image', () => upload(url, token, Buffer.from('GIF89a not a photo')), 400, 'BAD_USER_INPUT'],
      ['a photo over 1 MB', () => upload(url, token, Buffer.concat([SANDBOX_MAGIC_IMAGES.PASS, Buffer.alloc(1024 * 1024)])), 413, 'PAYLOAD_TOO_LARGE'],
    ])('%s', async (_, send, status, code) => {
      const calls = app.sandbox!.calls.length;
      const response = await send();
      expect(response.status).toBe(status);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(code);
      expect(app.sandbox!.calls.length).toBe(calls);
    });

    it("another user's verification, as not found", async () => {
      const response = await upload(url, await tokenFor('wx-stranger'), SANDBOX_MAGIC_IMAGES.PASS);
      expect(response.status).toBe(404);
    });

    it('an H5 verification, which has its certify page instead', async () => {
      const h5 = await gql(app, START, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, await tokenFor('wx-h5'));
      const v = h5.data!.startVerification as { id: string; faceCaptureUrl?: string };
      const response = await upload(`${app.url}/face-captures/${v.id}`, await tokenFor('wx-h5'), SANDBOX_MAGIC_IMAGES.PASS);
      expect(response.status).toBe(400);
    });
  });

  it('keeps the photo out of the log', () => {
    expect(app.logs.lines.some((line) => line.includes('realname-sandbox:') || line.includes(SANDBOX_MAGIC_IMAGES.PASS.toString('base64').slice(0, 40)))).toBe(false);
  });
});
