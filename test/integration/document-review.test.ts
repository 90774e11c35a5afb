import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlindIndex } from '../../src/crypto/blind-index.js';
import { auditEvents, consents, denylist, identities, reviewCases, verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import type { DocumentReviewInput } from '../../src/domain/document-review.js';
import { ReviewService } from '../../src/services/review.service.js';
import { startTestApp, TEST_INDEX_KEY, type TestApp } from '../support/app.js';
import { startedUser, verifiedUser } from '../support/verified-user.js';

const user = (userId: string): Actor => ({ kind: 'user', userId });
const alice: Actor = { kind: 'operator', operatorId: 'op-alice' };
const service: Actor = { kind: 'service', subject: 'letter-backend' };
const META = { clientIp: '203.0.113.7', userAgent: 'WeiAiBang/1.0 (integration test)' };
const PER_USER = 3;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

/** A fresh H/M number per call: the per-number budget and the one-account binding are not shared by accident. */
let serial = 10_000_000;
const hkNumber = () => `H${serial++}`;

const input = (overrides: Partial<DocumentReviewInput> = {}): DocumentReviewInput => ({
  documentType: 'HK_MACAO_TRAVEL_PERMIT',
  realName: '陈大文',
  documentNumber: hkNumber(),
  note: '持港澳居民来往内地通行证',
  consentVersion: CONSENT_TERMS.version,
  reviewConsent: true,
  ...overrides,
});

describe(`${ReviewService.name}.requestDocument`, () => {
  let app: TestApp;
  let reviews: ReviewService;
  const index = new BlindIndex(TEST_INDEX_KEY);
  const row = async (id: string) => (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;
  /** Set to hold the app's clock still at an instant; undefined lets it run. */
  let frozen: Date | undefined;

  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_USER: String(PER_USER), START_LIMIT_PER_IP: '100000' }, overrides: { clock: () => frozen ?? new Date() } });
    reviews = app.services.reviews;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('is for the user alone, FORBIDDEN to a service or an operator', async () => {
    expect(await codeOf(reviews.requestDocument(service, input(), META))).toBe('FORBIDDEN');
    expect(await codeOf(reviews.requestDocument(alice, input(), META))).toBe('FORBIDDEN');
    expect(await reviews.requestDocument(service, input(), META).catch((e: Error) => e.message)).toBe('仅限本人申请人工审核');
  });

  it('opens an OPEN case with no failed attempt and a MANUAL PROCESSING verification of the document', async () => {
    const opened = await reviews.requestDocument(user('dr-opens'), input({ documentNumber: 'h1234567801' }), META);
    expect(opened).toMatchObject({ userId: 'dr-opens', status: 'OPEN', failedVerificationId: null, failureCode: 'DOCUMENT_NOT_ACCEPTED', approvedBy: [] });
    const manual = await row(opened.verificationId);
    expect(manual).toMatchObject({ status: 'PROCESSING', mode: 'MANUAL', documentType: 'HK_MACAO_TRAVEL_PERMIT', certifyUrl: null });
    expect(manual.idNumberIndex).toBe(index.ofReviewDocument({ documentType: 'HK_MACAO_TRAVEL_PERMIT', value: 'H12345678' }));
  });

  it('seals the name and the lifelong number as a start does: the vault opens them, the row holds neither', async () => {
    const opened = await reviews.requestDocument(user('dr-sealed'), input({ realName: 'WU, QUANBIN', documentType: 'FOREIGN_PERMANENT_RESIDENCE_CARD', documentNumber: 'usa123456789012' }), META);
    const manual = await row(opened.verificationId);
    for (const cipher of [manual.nameCipher!, manual.idNumberCipher!]) expect(Buffer.from(cipher).toString('latin1')).not.toMatch(/QUANBIN|USA123456789012/);
    expect(await app.services.vault.openApplicants('dr-sealed', [manual])).toEqual([{ realName: 'WU, QUANBIN', idCardNumber: 'USA123456789012' }]);
    expect(await reviews.noteOf(opened)).toBe('持港澳居民来往内地通行证');
  });

  it('records the review consent before anything is kept: DOCUMENT_REVIEW, not biometric, with where from', async () => {
    const opened = await reviews.requestDocument(user('dr-consent'), input(), META);
    const manual = await row(opened.verificationId);
    const [consent] = await app.db.select().from(consents).where(eq(consents.id, manual.consentId!));
    expect(consent).toMatchObject({ userId: 'dr-consent', version: CONSENT_TERMS.version, purpose: 'DOCUMENT_REVIEW', biometric: false, clientIp: META.clientIp });
    expect(consent!.acceptedAt.getTime()).toBeLessThanOrEqual(manual.createdAt.getTime());
  });

  it('writes review.requested with the case and the document, never the number', async () => {
    const number = hkNumber();
    const opened = await reviews.requestDocument(user('dr-audit'), input({ documentNumber: number }), META);
    const events = await app.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, 'dr-audit'), eq(auditEvents.action, 'review.requested')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'user:dr-audit', verificationId: opened.verificationId, detail: { caseId: opened.id, failureCode: 'DOCUMENT_NOT_ACCEPTED', documentType: 'HK_MACAO_TRAVEL_PERMIT', consentPurpose: 'DOCUMENT_REVIEW', withNote: true } });
    expect(JSON.stringify(events[0]!.detail)).not.toContain(number.slice(1));
  });

  it('refuses a bad number with INVALID_ID_CARD_NUMBER and keeps nothing, not even a consent', async () => {
    for (const [documentType, documentNumber] of [
      ['HK_MACAO_TRAVEL_PERMIT', 'A12345678'],
      ['TAIWAN_TRAVEL_PERMIT', '1234567'],
      ['FOREIGN_PERMANENT_RESIDENCE_CARD', '930840199902300010'],
    ] as const) {
      expect(await codeOf(reviews.requestDocument(user('dr-bad'), input({ documentType, documentNumber }), META))).toBe('INVALID_ID_CARD_NUMBER');
    }
    expect(await app.db.select().from(consents).where(eq(consents.userId, 'dr-bad'))).toEqual([]);
    expect(await reviews.casesOf('dr-bad')).toEqual([]);
  });

  it('refuses without the review consent, CONSENT_REQUIRED, and a document verified online, BAD_USER_INPUT', async () => {
    expect(await codeOf(reviews.requestDocument(user('dr-no-consent'), input({ reviewConsent: false }), META))).toBe('CONSENT_REQUIRED');
    expect(await codeOf(reviews.requestDocument(user('dr-no-consent'), input({ documentType: 'RESIDENT_ID_CARD', documentNumber: '11010519491231002X' }), META))).toBe('BAD_USER_INPUT');
    expect(await reviews.casesOf('dr-no-consent')).toEqual([]);
  });

  it('refuses a second request while a case is open, keeps the first, and records no second consent', async () => {
    const first = await reviews.requestDocument(user('dr-second'), input(), META);
    const second = await reviews.requestDocument(user('dr-second'), input({ documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '12345678' }), META).catch((e: Error & { code: string }) => e);
    expect(second).toMatchObject({ code: 'BAD_USER_INPUT', message: '您已有一件人工审核正在处理中,请等待审核结果' });
    expect((await reviews.casesOf('dr-second')).map((c) => [c.id, c.status])).toEqual([[first.id, 'OPEN']]);
    expect(await app.db.select().from(consents).where(eq(consents.userId, 'dr-second'))).toHaveLength(1);
  });

  it('lets exactly one of two concurrent requests open a case', async () => {
    const outcomes = await Promise.allSettled([reviews.requestDocument(user('dr-race'), input(), META), reviews.requestDocument(user('dr-race'), input(), META)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'BAD_USER_INPUT' } });
    expect(await reviews.casesOf('dr-race')).toHaveLength(1);
  });

  it('takes the place of a pending automatic attempt, which ends SUPERSEDED', async () => {
    const started = await startedUser(app, 'dr-supersede');
    await reviews.requestDocument(user('dr-supersede'), input(), META);
    expect(await row(started.verificationId)).toMatchObject({ status: 'CANCELED', failureCode: 'SUPERSEDED' });
  });

  it('refuses a user already verified, ALREADY_VERIFIED, until the very instant the identity expires', async () => {
    await verifiedUser(app, 'dr-verified');
    expect(await codeOf(reviews.requestDocument(user('dr-verified'), input(), META))).toBe('ALREADY_VERIFIED');
    const [identity] = await app.db.select().from(identities).where(eq(identities.userId, 'dr-verified'));
    try {
      frozen = new Date(identity!.expiresAt.getTime() - 1);
      expect(await codeOf(reviews.requestDocument(user('dr-verified'), input(), META))).toBe('ALREADY_VERIFIED');
      frozen = identity!.expiresAt;
      expect((await reviews.requestDocument(user('dr-verified'), input(), META)).status).toBe('OPEN');
    } finally {
      frozen = undefined;
    }
  });

  it('refuses a denied account and a denied number, IDENTITY_DENIED', async () => {
    const now = new Date();
    const number = hkNumber();
    await app.db.insert(denylist).values([
      { kind: 'USER', value: 'dr-denied-user', reason: '测试', createdBy: 'operator:op-alice', createdAt: now },
      { kind: 'ID_NUMBER', value: index.ofReviewDocument({ documentType: 'HK_MACAO_TRAVEL_PERMIT', value: number }), reason: '证件挂失', createdBy: 'operator:op-alice', createdAt: now },
    ]);
    expect(await codeOf(reviews.requestDocument(user('dr-denied-user'), input(), META))).toBe('IDENTITY_DENIED');
    expect(await codeOf(reviews.requestDocument(user('dr-denied-number'), input({ documentNumber: `${number}03` }), META))).toBe('IDENTITY_DENIED');
    expect(await reviews.casesOf('dr-denied-number')).toEqual([]);
  });

  it("spends the start budget: past START_LIMIT_PER_USER a user's requests are RATE_LIMITED", async () => {
    for (let i = 0; i < PER_USER; i++) {
      const opened = await reviews.requestDocument(user('dr-budget'), input(), META);
      await reviews.decide(alice, opened.id, 'REJECT', '材料不足');
    }
    const refusal = await reviews.requestDocument(user('dr-budget'), input(), META).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: expect.any(Number) } });
  });

  describe('decided', () => {
    it('approved: the MANUAL verification is VERIFIED, the identity bound as MANUAL, the gate passes', async () => {
      const opened = await reviews.requestDocument(user('dr-approved'), input({ documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '87654321' }), META);
      const approved = await reviews.decide(alice, opened.id, 'APPROVE', '核对台胞证原件无误');
      expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: 'operator:op-alice' });
      expect((await row(opened.verificationId)).status).toBe('VERIFIED');
      expect(await app.services.authStatus.checkIdentity(service, 'dr-approved')).toMatchObject({ passed: true });
    });

    it('rejected: FAILED REVIEW_REJECTED, the case closed, and a new request may follow', async () => {
      const opened = await reviews.requestDocument(user('dr-rejected'), input(), META);
      await reviews.decide(alice, opened.id, 'REJECT', '号码与证件不符');
      expect(await row(opened.verificationId)).toMatchObject({ status: 'FAILED', failureCode: 'REVIEW_REJECTED' });
      expect(await app.services.authStatus.checkIdentity(service, 'dr-rejected')).toMatchObject({ passed: false });
      expect((await reviews.requestDocument(user('dr-rejected'), input(), META)).status).toBe('OPEN');
    });

    it("refuses to bind one holder's number to a second account, whatever card (renewal digits) each typed", async () => {
      const number = hkNumber();
      const first = await reviews.requestDocument(user('dr-holder-1'), input({ documentNumber: `${number}00` }), META);
      await reviews.decide(alice, first.id, 'APPROVE', '核对无误');
      const second = await reviews.requestDocument(user('dr-holder-2'), input({ documentNumber: `${number}01` }), META);
      expect(await reviews.decide(alice, second.id, 'APPROVE', '核对无误').catch((e: Error & { code: string }) => e)).toMatchObject({
        code: 'IDENTITY_ALREADY_BOUND',
        message: '该身份证已绑定其他账号,请先解除其他账号的绑定',
      });
      expect((await reviews.get(alice, second.id)).status).toBe('OPEN');
    });

    it('never takes one value under another document for the same holder', async () => {
      const a = await reviews.requestDocument(user('dr-scope-a'), input({ documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '11223344' }), META);
      const b = await reviews.requestDocument(user('dr-scope-b'), input({ documentType: 'FOREIGN_PERMANENT_RESIDENCE_CARD', documentNumber: 'ABC000011223344' }), META);
      expect((await row(a.verificationId)).idNumberIndex).not.toBe((await row(b.verificationId)).idNumberIndex);
    });

    it('offers no online face check for such an identity: renewal and step-up are refused with a sentence to act on', async () => {
      const opened = await reviews.requestDocument(user('dr-no-face'), input(), META);
      await reviews.decide(alice, opened.id, 'APPROVE', '核对无误');
      const faceCheck = { consentVersion: CONSENT_TERMS.version, biometricConsent: true };
      const refusal = await app.services.verifications.startStepUp(user('dr-no-face'), faceCheck, META).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('人工审核') });
    });

    it('never says such an identity is renewable, even inside the renewal window, where renewal is refused as step-up is', async () => {
      const opened = await reviews.requestDocument(user('dr-not-renewable'), input(), META);
      await reviews.decide(alice, opened.id, 'APPROVE', '核对无误');
      await app.db.update(identities).set({ expiresAt: new Date(Date.now() + 5 * 86_400_000) }).where(eq(identities.userId, 'dr-not-renewable'));
      expect(await app.services.authStatus.currentStatusOf('dr-not-renewable')).toMatchObject({ status: 'VERIFIED', renewable: false, renewableFrom: null });
      const faceCheck = { consentVersion: CONSENT_TERMS.version, biometricConsent: true };
      const refusal = await app.services.verifications.renew(user('dr-not-renewable'), faceCheck, META).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('人工审核') });
    });
  });

  it("exports the case with the user's note and no failed attempt, and the verification's document", async () => {
    const opened = await reviews.requestDocument(user('dr-export'), input({ note: '请尽快审核' }), META);
    const exported = await app.services.personalData.export(user('dr-export'));
    expect(exported.reviewCases).toEqual([expect.objectContaining({ id: opened.id, status: 'OPEN', failedVerificationId: null, verificationId: opened.verificationId, note: '请尽快审核' })]);
    expect(exported.verifications).toEqual([expect.objectContaining({ id: opened.verificationId, mode: 'MANUAL', documentType: 'HK_MACAO_TRAVEL_PERMIT', realName: '陈大文' })]);
    expect(exported.consents).toEqual([expect.objectContaining({ purpose: 'DOCUMENT_REVIEW', biometric: false })]);
    const stored = (await app.db.select().from(reviewCases).where(eq(reviewCases.id, opened.id)))[0]!;
    expect(Buffer.from(stored.noteCipher!).toString()).not.toContain('审核');
  });
});
