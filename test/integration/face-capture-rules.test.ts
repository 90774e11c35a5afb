import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import type { RequestMeta } from '../../src/domain/application.js';
import { SANDBOX_MAGIC_IMAGES } from '../../src/providers/sandbox/magic-images.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { faceImageRepository } from '../../src/repositories/face-image.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { awaitsCapture, MAX_FACE_CAPTURE_BYTES } from '../../src/services/face-capture.service.js';
import { CONSENT_VERSION, startTestApp, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';

const META: RequestMeta = { clientIp: '127.0.0.1', userAgent: 'face-capture-rules/1.0' };
const NOT_ACCEPTED_HERE = '该认证不接受上传照片,请在认证页面完成刷脸';
const EXPIRED = '认证已过期,请重新发起认证';
const BAD_IMAGE = '请上传 1 MB 以内的 JPEG 或 PNG 人脸照片';
const NOT_A_CAPTURE_DOCUMENT = '该认证不接受上传照片';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24)]);

/** A valid JPEG (the sandbox's PASS image) padded with zeros to exactly `size` bytes. */
const jpegOf = (size: number) => Buffer.concat([SANDBOX_MAGIC_IMAGES.PASS, Buffer.alloc(size - SANDBOX_MAGIC_IMAGES.PASS.length)]);

describe('FaceCaptureService: the rules of submit and compare', () => {
  let app: TestApp;
  /** When set, the app's clock stands still there. */
  let frozenAt: Date | undefined;
  let users = 0;

  beforeAll(async () => {
    app = await startTestApp({
      env: { START_LIMIT_PER_IP: '1000', FACE_IMAGE_RETENTION_DAYS: '30' },
      overrides: { clock: () => (frozenAt ? new Date(frozenAt) : new Date()) },
    });
  });
  afterEach(() => {
    frozenAt = undefined;
    app.sandbox!.clearFaults();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const user = (userId: string): Actor => ({ kind: 'user', userId });
  const contrastCalls = () => app.sandbox!.calls.filter((c) => c.action === 'ContrastFaceVerify').length;
  const submit = (actor: Actor, id: string, image: Buffer) => app.services.faceCaptures.submit(actor, id, image, META);

  async function startCapture(idCardNumber = validIdNumber()) {
    const userId = `fc-rules-${++users}`;
    const row = await app.services.verifications.start(
      user(userId),
      { realName: '张三', idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true },
      META,
      'CAPTURE',
    );
    expect(row).toMatchObject({ status: 'PENDING', certifyUrl: null, certifyId: null });
    return { userId, actor: user(userId), row };
  }

  /** The promise rejects with exactly this code and message, and ContrastFaceVerify was not called. */
  async function refusedBeforeAliyun(attempt: () => Promise<unknown>, code: string, message: string) {
    const before = contrastCalls();
    await expect(attempt()).rejects.toMatchObject({ name: 'DomainError', code, message });
    expect(contrastCalls()).toBe(before);
  }

  it('names the upload address after PUBLIC_BASE_URL and the verification', () => {
    expect(app.services.faceCaptures.uploadUrlOf('abc')).toBe(`http://localhost:${app.port}/face-captures/abc`);
  });

  describe('who may submit', () => {
    it.each([
      ['a service', { kind: 'service', subject: 'x' }],
      ['an operator', { kind: 'operator', operatorId: 'op-1' }],
    ] as [string, Actor][])('refuses %s with FORBIDDEN and its message, and leaves the verification PENDING', async (_, actor) => {
      const { row } = await startCapture();
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'FORBIDDEN', '只有本人可以提交人脸照片');
      expect((await verificationRepository.byId(app.db, row.id))!.status).toBe('PENDING');
    });

    it("answers NOT_FOUND for another user's verification, an unknown id and an id that is no UUID", async () => {
      const { row } = await startCapture();
      await refusedBeforeAliyun(() => submit(user('fc-stranger'), row.id, SANDBOX_MAGIC_IMAGES.PASS), 'NOT_FOUND', '记录不存在');
      await refusedBeforeAliyun(() => submit(user('fc-stranger'), randomUUID(), SANDBOX_MAGIC_IMAGES.PASS), 'NOT_FOUND', '记录不存在');
      await refusedBeforeAliyun(() => submit(user('fc-stranger'), 'not-a-uuid', SANDBOX_MAGIC_IMAGES.PASS), 'NOT_FOUND', '记录不存在');
      expect((await verificationRepository.byId(app.db, row.id))!.status).toBe('PENDING');
    });
  });

  describe('a terminal verification is answered as it is, without calling Aliyun', () => {
    it('a VERIFIED one, even with a failing photo', async () => {
      const { actor, row } = await startCapture();
      const verified = await submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS);
      expect(verified.status).toBe('VERIFIED');
      const before = contrastCalls();
      const again = await submit(actor, row.id, SANDBOX_MAGIC_IMAGES.FACE_MISMATCH);
      expect(again).toEqual(verified);
      expect(contrastCalls()).toBe(before);
    });

    it('a CANCELED one, even with a broken photo (no image checks either)', async () => {
      const { actor, row } = await startCapture();
      const canceled = await app.services.verifications.cancel(actor, row.id);
      expect(canceled).toMatchObject({ status: 'CANCELED', failureCode: 'CANCELED_BY_USER' });
      const before = contrastCalls();
      expect(await submit(actor, row.id, Buffer.alloc(0))).toMatchObject({ id: row.id, status: 'CANCELED', failureCode: 'CANCELED_BY_USER' });
      expect(contrastCalls()).toBe(before);
    });
  });

  describe('only a verification that awaits a capture takes a photo', () => {
    it('refuses an H5 verification (it has its certify page) with BAD_USER_INPUT', async () => {
      const userId = `fc-rules-h5-${++users}`;
      const h5 = await app.services.verifications.start(user(userId), { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true }, META);
      expect(h5.certifyUrl).toEqual(expect.any(String));
      expect(awaitsCapture(h5)).toBe(false);
      await refusedBeforeAliyun(() => submit(user(userId), h5.id, SANDBOX_MAGIC_IMAGES.PASS), 'BAD_USER_INPUT', NOT_ACCEPTED_HERE);
      expect((await verificationRepository.byId(app.db, h5.id))!.status).toBe('PENDING');
    });

    it.each([
      ['a certify page but no certifyId', { certifyUrl: 'https://sandbox.example/certify' }],
      ['a certifyId but no certify page', { certifyId: 'c'.repeat(32) }],
      ['PROCESSING rather than PENDING', { status: 'PROCESSING' as const }],
    ])('refuses one with %s', async (_, change) => {
      const { actor, row } = await startCapture();
      await app.db.update(verifications).set(change).where(eq(verifications.id, row.id));
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'BAD_USER_INPUT', NOT_ACCEPTED_HERE);
    });

    it('tells a capture apart by status and both certify fields', () => {
      expect(awaitsCapture({ status: 'PENDING', certifyUrl: null, certifyId: null })).toBe(true);
      expect(awaitsCapture({ status: 'PROCESSING', certifyUrl: null, certifyId: null })).toBe(false);
      expect(awaitsCapture({ status: 'PENDING', certifyUrl: 'u', certifyId: null })).toBe(false);
      expect(awaitsCapture({ status: 'PENDING', certifyUrl: null, certifyId: 'c' })).toBe(false);
    });

    it('refuses a capture whose document Aliyun does not verify online, before Aliyun is called', async () => {
      const { actor, row } = await startCapture();
      await app.db.update(verifications).set({ documentType: 'HK_MACAO_TRAVEL_PERMIT' }).where(eq(verifications.id, row.id));
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'BAD_USER_INPUT', NOT_A_CAPTURE_DOCUMENT);
      expect((await verificationRepository.byId(app.db, row.id))!.status).toBe('PENDING');
    });

    it('answers NOT_FOUND when the applicant data are gone, before Aliyun is called', async () => {
      const { actor, row } = await startCapture();
      await app.db.update(verifications).set({ nameCipher: null }).where(eq(verifications.id, row.id));
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'NOT_FOUND', '记录不存在');
    });
  });

  describe('expiry', () => {
    it('refuses at exactly expiresAt, with BAD_USER_INPUT and its message, and later too', async () => {
      const { actor, row } = await startCapture();
      frozenAt = row.expiresAt;
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'BAD_USER_INPUT', EXPIRED);
      frozenAt = new Date(row.expiresAt.getTime() + 60_000);
      await refusedBeforeAliyun(() => submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), 'BAD_USER_INPUT', EXPIRED);
    });

    it('takes the photo one millisecond before expiresAt', async () => {
      const { actor, row } = await startCapture();
      frozenAt = new Date(row.expiresAt.getTime() - 1);
      const before = contrastCalls();
      expect((await submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS)).status).toBe('VERIFIED');
      expect(contrastCalls()).toBe(before + 1);
    });
  });

  describe('the photo itself', () => {
    it.each([
      ['an empty image', () => Buffer.alloc(0)],
      ['a JPEG of MAX_FACE_CAPTURE_BYTES + 1 bytes', () => jpegOf(MAX_FACE_CAPTURE_BYTES + 1)],
      ['bytes that are neither JPEG nor PNG', () => Buffer.from('GIF89a not a photo')],
      ['a JPEG signature alone (3 bytes)', () => Buffer.from([0xff, 0xd8, 0xff])],
    ])('refuses %s with BAD_USER_INPUT and its message; the verification stays PENDING', async (_, image) => {
      const { actor, row } = await startCapture();
      await refusedBeforeAliyun(() => submit(actor, row.id, image()), 'BAD_USER_INPUT', BAD_IMAGE);
      expect(await verificationRepository.byId(app.db, row.id)).toMatchObject({ status: 'PENDING', failureCode: null });
    });

    it('takes a valid JPEG of exactly MAX_FACE_CAPTURE_BYTES (1 MB) to Aliyun', async () => {
      expect(MAX_FACE_CAPTURE_BYTES).toBe(1024 * 1024);
      const { actor, row } = await startCapture();
      const before = contrastCalls();
      expect((await submit(actor, row.id, jpegOf(MAX_FACE_CAPTURE_BYTES))).status).toBe('VERIFIED');
      expect(contrastCalls()).toBe(before + 1);
    });

    it('takes a PNG', async () => {
      const { actor, row } = await startCapture();
      expect((await submit(actor, row.id, PNG)).status).toBe('VERIFIED');
    });
  });

  describe('one comparison per verification at a time', () => {
    it('makes exactly one ContrastFaceVerify call for two concurrent submits, and both get the same result', async () => {
      const { actor, row } = await startCapture();
      // A slow answer: the second tap certainly arrives while the first comparison is under way.
      app.sandbox!.setFault({ action: 'ContrastFaceVerify', kind: 'delay', ms: 300, times: 2 });
      const before = contrastCalls();
      const [first, second] = await Promise.all([submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS), submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS)]);
      expect(contrastCalls()).toBe(before + 1);
      expect(first.status).toBe('VERIFIED');
      expect(second).toEqual(first);
      expect((await auditRepository.forUser(app.db, row.userId)).map((e) => e.action)).toEqual(['verification.started', 'verification.verified']);
    });

    it('keeps the two verifications of two users apart: each concurrent submit gets its own comparison', async () => {
      const a = await startCapture();
      const b = await startCapture();
      const before = contrastCalls();
      const [ra, rb] = await Promise.all([submit(a.actor, a.row.id, SANDBOX_MAGIC_IMAGES.PASS), submit(b.actor, b.row.id, SANDBOX_MAGIC_IMAGES.FACE_MISMATCH)]);
      expect(contrastCalls()).toBe(before + 2);
      expect(ra).toMatchObject({ id: a.row.id, status: 'VERIFIED' });
      expect(rb).toMatchObject({ id: b.row.id, status: 'FAILED', failureCode: 'FACE_MISMATCH' });
    });
  });

  describe('when Aliyun cannot answer', () => {
    it('answers PROVIDER_UNAVAILABLE, keeps the verification PENDING, logs it without the photo, and the same photo can be sent again', async () => {
      const { actor, row, userId } = await startCapture();
      app.sandbox!.setFault({ action: 'ContrastFaceVerify', kind: 'http500', times: 1 });
      const before = contrastCalls();
      const logged = app.logs.lines.length;
      await expect(submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: '认证服务暂时不可用,请稍后再试' });
      expect(contrastCalls()).toBe(before + 1);
      expect(await verificationRepository.byId(app.db, row.id)).toMatchObject({ status: 'PENDING', failureCode: null, completedAt: null });
      expect((await auditRepository.forUser(app.db, userId)).map((e) => e.action)).toEqual(['verification.started']);

      const lines = app.logs.lines.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
      const warning = lines.find((l) => l.msg === 'provider unavailable during face capture');
      expect(warning).toMatchObject({ level: 40, providerCode: 'InternalError' });
      expect(lines.some((l) => l.msg === 'provider refused our request: check the Aliyun configuration')).toBe(false);
      const text = app.logs.lines.slice(logged).join('\n');
      expect(text).not.toContain('realname-sandbox:');
      expect(text).not.toContain(SANDBOX_MAGIC_IMAGES.PASS.toString('base64').slice(0, 40));
      expect(text).not.toContain(SANDBOX_MAGIC_IMAGES.PASS.toString('hex').slice(0, 40));
      expect(text).not.toContain('张三');

      // The failed attempt is not kept as the one in flight: the retry reaches Aliyun again.
      expect((await submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS)).status).toBe('VERIFIED');
      expect(contrastCalls()).toBe(before + 2);
    });

    it('logs a refusal of what we sent (a misconfiguration) as an error, and answers PROVIDER_UNAVAILABLE with nothing moved', async () => {
      const { actor, row } = await startCapture();
      // An order number Aliyun's format refuses (Code 401): our request's fault, never the user's.
      await app.db.update(verifications).set({ outerOrderNo: 'not-a-valid-order-no' }).where(eq(verifications.id, row.id));
      const before = contrastCalls();
      const logged = app.logs.lines.length;
      await expect(submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: '认证服务暂时不可用,请稍后再试' });
      expect(contrastCalls()).toBe(before + 1);
      expect(await verificationRepository.byId(app.db, row.id)).toMatchObject({ status: 'PENDING', failureCode: null });
      const lines = app.logs.lines.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.find((l) => l.msg === 'provider refused our request: check the Aliyun configuration')).toMatchObject({
        level: 50,
        providerCode: '401',
        problem: expect.stringContaining('ContrastFaceVerify'),
      });
      expect(lines.some((l) => l.msg === 'provider unavailable during face capture')).toBe(false);
    });
  });

  describe('when Aliyun refuses the comparison', () => {
    it.each([
      ['too many attempts today (Code 418)', SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS, 'TOO_MANY_ATTEMPTS', '418'],
      ['no comparison source (Code 417)', SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE, 'NO_ID_PHOTO', '417'],
    ])('ends FAILED on %s, with its failure code and the provider code kept, and keeps no photo', async (_, idCardNumber, failureCode, providerSubCode) => {
      const { actor, row, userId } = await startCapture(idCardNumber);
      const before = contrastCalls();
      const failed = await submit(actor, row.id, SANDBOX_MAGIC_IMAGES.PASS);
      expect(contrastCalls()).toBe(before + 1);
      expect(failed).toMatchObject({ id: row.id, status: 'FAILED', failureCode, providerSubCode, completedAt: expect.any(Date) });
      const events = await auditRepository.forUser(app.db, userId);
      expect(events.map((e) => e.action)).toEqual(['verification.started', 'verification.failed']);
      expect(events[1]!.detail).toMatchObject({ failureCode, providerSubCode });
      expect(await faceImageRepository.ofUser(app.db, userId)).toEqual([]);
    });
  });

  describe('a passing photo', () => {
    it('is kept (sealed) under the retention setting; a failing one is not', async () => {
      const pass = await startCapture();
      const verified = await submit(pass.actor, pass.row.id, SANDBOX_MAGIC_IMAGES.PASS);
      expect(verified).toMatchObject({ status: 'VERIFIED', providerSubCode: '200', failureCode: null });
      const kept = await faceImageRepository.ofUser(app.db, pass.userId);
      expect(kept.map((k) => k.verificationId)).toEqual([pass.row.id]);
      expect(kept[0]!.imageCipher.includes(SANDBOX_MAGIC_IMAGES.PASS)).toBe(false);

      const fail = await startCapture();
      expect(await submit(fail.actor, fail.row.id, SANDBOX_MAGIC_IMAGES.LIVENESS_RISK)).toMatchObject({ status: 'FAILED', failureCode: 'LIVENESS_RISK', providerSubCode: '205' });
      expect(await faceImageRepository.ofUser(app.db, fail.userId)).toEqual([]);
    });
  });
});
