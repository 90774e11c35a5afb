import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, reviewCases, verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { ReviewService } from '../../src/services/review.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { NO_SUCH_IDENTITY_NUMBER, unfindableUser } from '../support/operator.js';
import { startedUser } from '../support/verified-user.js';

/** Many users try the sandbox's "no such identity" number here: its per-number budget is not the point. */
const ENV = { START_LIMIT_PER_ID_NUMBER: '100000', START_LIMIT_PER_IP: '100000', IDENTITY_MAX_ACCOUNTS: '1000' };
const DAY_MS = 86_400_000;

const user = (userId: string): Actor => ({ kind: 'user', userId });
const operator = (operatorId: string): Actor => ({ kind: 'operator', operatorId });
const service: Actor = { kind: 'service', subject: 'letter-backend' };
const alice = operator('op-alice');
const bob = operator('op-bob');

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

async function auditOf(app: TestApp, userId: string, action: string) {
  return app.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, userId), eq(auditEvents.action, action)));
}

async function verificationRow(app: TestApp, id: string) {
  return (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;
}

async function openCase(app: TestApp, userId: string, note: string | null = '我的身份证是新换的') {
  const failed = await unfindableUser(app, userId);
  const reviewCase = await app.services.reviews.request(user(userId), failed.verificationId, note);
  return { ...failed, reviewCase };
}

describe(`${ReviewService.name}, two-person approval`, () => {
  let app: TestApp;
  let reviews: ReviewService;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...ENV, REVIEW_TWO_PERSON: 'true' } });
    reviews = app.services.reviews;
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('request', () => {
    it('is refused to anyone but the user, FORBIDDEN', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-actor');
      expect(await codeOf(reviews.request(service, verificationId, null))).toBe('FORBIDDEN');
      expect(await codeOf(reviews.request(alice, verificationId, null))).toBe('FORBIDDEN');
      expect(await reviews.request(service, verificationId, null).catch((e: Error) => e.message)).toBe('仅限本人申请人工审核');
    });

    it("answers NOT_FOUND for an id that is no UUID and for someone else's attempt", async () => {
      const { verificationId } = await unfindableUser(app, 'rq-owner');
      expect(await codeOf(reviews.request(user('rq-owner'), 'not-a-uuid', null))).toBe('NOT_FOUND');
      expect(await codeOf(reviews.request(user('rq-stranger'), verificationId, null))).toBe('NOT_FOUND');
    });

    it('opens a MANUAL PROCESSING verification that expires after the review period, with the failed one’s index and consent', async () => {
      const before = Date.now();
      const { reviewCase, verificationId } = await openCase(app, 'rq-opens');
      const failed = await verificationRow(app, verificationId);
      const manual = await verificationRow(app, reviewCase.verificationId);
      expect(reviewCase).toMatchObject({ status: 'OPEN', userId: 'rq-opens', failedVerificationId: verificationId, failureCode: 'IDENTITY_NOT_CONFIRMED', approvedBy: [] });
      expect(manual).toMatchObject({ status: 'PROCESSING', mode: 'MANUAL', userId: 'rq-opens', idNumberIndex: failed.idNumberIndex, consentId: failed.consentId });
      expect(manual.outerOrderNo).toBe(manual.id.replaceAll('-', ''));
      const openFor = manual.expiresAt.getTime() - manual.createdAt.getTime();
      expect(openFor).toBe(30 * DAY_MS);
      expect(manual.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });

    it('writes review.requested by the user, with the case, the failure and whether a note came', async () => {
      const { reviewCase, verificationId } = await openCase(app, 'rq-audit', null);
      const [event] = await auditOf(app, 'rq-audit', 'review.requested');
      expect(event).toMatchObject({
        actor: 'user:rq-audit',
        verificationId: reviewCase.verificationId,
        detail: { caseId: reviewCase.id, failureCode: 'IDENTITY_NOT_CONFIRMED', failedVerificationId: verificationId, withNote: false },
      });
    });

    it('seals the note, which only noteOf opens; no note gives null', async () => {
      const withNote = await openCase(app, 'rq-note', '  户口本已更新  ');
      const raw = (await app.db.select().from(reviewCases).where(eq(reviewCases.id, withNote.reviewCase.id)))[0]!;
      expect(raw.noteCipher).not.toBeNull();
      expect(Buffer.from(raw.noteCipher!).toString()).not.toContain('户口本');
      expect(await reviews.noteOf(withNote.reviewCase)).toBe('户口本已更新');
      expect((await auditOf(app, 'rq-note', 'review.requested'))[0]!.detail).toMatchObject({ withNote: true });
      const without = await openCase(app, 'rq-no-note', '   ');
      expect(await reviews.noteOf(without.reviewCase)).toBeNull();
    });

    it('returns the open case on a repeat instead of opening another', async () => {
      const { reviewCase, verificationId } = await openCase(app, 'rq-repeat');
      const again = await reviews.request(user('rq-repeat'), verificationId, '再问一次');
      expect(again.id).toBe(reviewCase.id);
      expect(await reviews.casesOf('rq-repeat')).toHaveLength(1);
    });

    it('withdraws a case whose verification a new start superseded, and opens a new one on the next request', async () => {
      const { reviewCase, verificationId } = await openCase(app, 'rq-withdrawn');
      await startedUser(app, 'rq-withdrawn');
      expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('CANCELED');
      const fresh = await reviews.request(user('rq-withdrawn'), verificationId, null);
      expect(fresh.id).not.toBe(reviewCase.id);
      const cases = await reviews.casesOf('rq-withdrawn');
      expect(cases.map((c) => [c.id, c.status])).toEqual([
        [reviewCase.id, 'WITHDRAWN'],
        [fresh.id, 'OPEN'],
      ]);
      expect(cases[0]!.decidedAt).not.toBeNull();
    });

    it('cancels a pending automatic attempt as SUPERSEDED when the review opens', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-supersede');
      const pending = await startedUser(app, 'rq-supersede');
      const reviewCase = await reviews.request(user('rq-supersede'), verificationId, null);
      expect(await verificationRow(app, pending.verificationId)).toMatchObject({ status: 'CANCELED', failureCode: 'SUPERSEDED' });
      expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('PROCESSING');
    });

    it('refuses an attempt that did not fail, BAD_USER_INPUT', async () => {
      const pending = await startedUser(app, 'rq-pending');
      expect(await codeOf(reviews.request(user('rq-pending'), pending.verificationId, null))).toBe('BAD_USER_INPUT');
    });

    it('refuses a denied user, IDENTITY_DENIED', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-denied');
      await app.services.denylist.denyUser(alice, 'rq-denied', '冒用他人身份');
      expect(await codeOf(reviews.request(user('rq-denied'), verificationId, null))).toBe('IDENTITY_DENIED');
      expect(await reviews.casesOf('rq-denied')).toEqual([]);
    });

    it('refuses an attempt whose name and number were erased, BAD_USER_INPUT', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-erased');
      await app.db.update(verifications).set({ nameCipher: null, idNumberCipher: null }).where(eq(verifications.id, verificationId));
      expect(await codeOf(reviews.request(user('rq-erased'), verificationId, null))).toBe('BAD_USER_INPUT');
    });
  });

  describe('get and list', () => {
    it('refuses users and services, FORBIDDEN', async () => {
      const { reviewCase } = await openCase(app, 'ls-forbidden');
      expect(await codeOf(reviews.get(user('ls-forbidden'), reviewCase.id))).toBe('FORBIDDEN');
      expect(await codeOf(reviews.get(service, reviewCase.id))).toBe('FORBIDDEN');
      expect(await codeOf(reviews.list(service, 'OPEN', 10, null))).toBe('FORBIDDEN');
    });

    it('answers NOT_FOUND for a case id that is no UUID or no case', async () => {
      expect(await codeOf(reviews.get(alice, 'nope'))).toBe('NOT_FOUND');
      expect(await codeOf(reviews.get(alice, '00000000-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
    });

    it('takes first from 1 to 100 only', async () => {
      for (const first of [0, 101, 1.5]) expect(await codeOf(reviews.list(alice, 'OPEN', first, null))).toBe('BAD_USER_INPUT');
      expect((await reviews.list(alice, 'OPEN', 100, null)).cases.length).toBeLessThanOrEqual(100);
      expect((await reviews.list(alice, 'OPEN', 1, null)).cases).toHaveLength(1);
    });

    it('says there is a next page only when more cases follow, and counts the status', async () => {
      const rejected = [];
      for (const n of [1, 2]) {
        const { reviewCase } = await openCase(app, `ls-page-${n}`);
        rejected.push(await reviews.decide(alice, reviewCase.id, 'REJECT', '材料不足'));
      }
      const total = (await reviews.list(alice, 'REJECTED', 100, null)).totalCount;
      expect(total).toBeGreaterThanOrEqual(2);
      const all = await reviews.list(alice, 'REJECTED', total, null);
      expect(all).toMatchObject({ hasNextPage: false, totalCount: total });
      expect(all.cases).toHaveLength(total);
      const short = await reviews.list(alice, 'REJECTED', total - 1, null);
      expect(short.hasNextPage).toBe(true);
      expect(short.cases).toHaveLength(total - 1);
    });

    it('refuses a cursor whose id is no UUID or whose time is no time', async () => {
      const cursor = (text: string) => Buffer.from(text).toString('base64url');
      for (const after of [cursor(`${new Date().toISOString()}|not-a-uuid`), cursor('yesterday|00000000-0000-4000-8000-000000000000'), cursor(new Date().toISOString())]) {
        expect(await codeOf(reviews.list(alice, 'OPEN', 10, after))).toBe('BAD_USER_INPUT');
      }
    });

    it("lists a user's attempts newest first", async () => {
      const { reviewCase, verificationId } = await openCase(app, 'ls-attempts');
      expect((await reviews.attemptsOf('ls-attempts')).map((v) => v.id)).toEqual([reviewCase.verificationId, verificationId]);
    });
  });

  describe('decide', () => {
    it('is for operators only, FORBIDDEN', async () => {
      const { reviewCase } = await openCase(app, 'dc-forbidden');
      expect(await codeOf(reviews.decide(user('dc-forbidden'), reviewCase.id, 'APPROVE', '我批准我自己'))).toBe('FORBIDDEN');
      expect(await codeOf(reviews.decide(service, reviewCase.id, 'REJECT', '后台拒绝'))).toBe('FORBIDDEN');
    });

    it('needs two different operators: the first approval is recorded, the case stays open', async () => {
      const { reviewCase } = await openCase(app, 'dc-first');
      const recorded = await reviews.decide(alice, reviewCase.id, 'APPROVE', '核对户籍证明无误');
      expect(recorded).toMatchObject({ status: 'OPEN', approvedBy: ['operator:op-alice'], decidedBy: null, decidedAt: null });
      expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('PROCESSING');
      expect(reviews.approvalsRequired).toBe(2);
    });

    it('records the first approval in the audit trail with the operator, the reason and the count', async () => {
      const { reviewCase } = await openCase(app, 'dc-first-audit');
      await reviews.decide(alice, reviewCase.id, 'APPROVE', '核对户籍证明无误');
      const [event] = await auditOf(app, 'dc-first-audit', 'operator.review_approval_recorded');
      expect(event).toMatchObject({ actor: 'operator:op-alice', verificationId: reviewCase.verificationId, detail: { reason: '核对户籍证明无误', caseId: reviewCase.id, approvals: 1 } });
    });

    it('refuses the same operator approving twice, FORBIDDEN', async () => {
      const { reviewCase } = await openCase(app, 'dc-twice');
      await reviews.decide(alice, reviewCase.id, 'APPROVE', '核对无误');
      expect(await codeOf(reviews.decide(alice, reviewCase.id, 'APPROVE', '再次批准'))).toBe('FORBIDDEN');
      expect((await reviews.get(alice, reviewCase.id)).approvedBy).toEqual(['operator:op-alice']);
    });

    it('approves with the second operator: VERIFIED, bound, closed by them with their reason, audited', async () => {
      const { reviewCase } = await openCase(app, 'dc-second');
      await reviews.decide(alice, reviewCase.id, 'APPROVE', '核对无误');
      const approved = await reviews.decide(bob, reviewCase.id, 'APPROVE', '复核通过');
      expect(approved).toMatchObject({ status: 'APPROVED', approvedBy: ['operator:op-alice', 'operator:op-bob'], decidedBy: 'operator:op-bob', decisionReason: '复核通过' });
      expect(approved.decidedAt).toBeInstanceOf(Date);
      expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('VERIFIED');
      expect((await app.services.authStatus.currentStatusOf('dc-second')).status).toBe('VERIFIED');
      const [event] = await auditOf(app, 'dc-second', 'operator.review_approved');
      expect(event).toMatchObject({ actor: 'operator:op-bob', verificationId: reviewCase.verificationId, detail: { reason: '复核通过', caseId: reviewCase.id } });
    });

    it('rejects with one operator: FAILED with REVIEW_REJECTED, closed, audited; a second decision is refused', async () => {
      const { reviewCase } = await openCase(app, 'dc-reject');
      const rejected = await reviews.decide(alice, reviewCase.id, 'REJECT', '  材料\n不足 ');
      expect(rejected).toMatchObject({ status: 'REJECTED', decidedBy: 'operator:op-alice', decisionReason: '材料 不足' });
      expect(await verificationRow(app, reviewCase.verificationId)).toMatchObject({ status: 'FAILED', failureCode: 'REVIEW_REJECTED' });
      const [event] = await auditOf(app, 'dc-reject', 'operator.review_rejected');
      expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '材料 不足', caseId: reviewCase.id } });
      expect(await codeOf(reviews.decide(bob, reviewCase.id, 'REJECT', '再拒一次'))).toBe('BAD_USER_INPUT');
    });

    it('refuses an empty reason before touching the case', async () => {
      const { reviewCase } = await openCase(app, 'dc-reason');
      expect(await codeOf(reviews.decide(alice, reviewCase.id, 'REJECT', ' '))).toBe('BAD_USER_INPUT');
      expect((await reviews.get(alice, reviewCase.id)).status).toBe('OPEN');
    });

    it('refuses to approve a denied number, IDENTITY_DENIED, and leaves the case open', async () => {
      const { reviewCase } = await openCase(app, 'dc-denied');
      await reviews.decide(alice, reviewCase.id, 'APPROVE', '核对无误');
      await app.services.denylist.denyIdNumber(alice, NO_SUCH_IDENTITY_NUMBER, '证件挂失');
      try {
        expect(await codeOf(reviews.decide(bob, reviewCase.id, 'APPROVE', '复核通过'))).toBe('IDENTITY_DENIED');
        expect((await reviews.get(alice, reviewCase.id)).status).toBe('OPEN');
        expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('PROCESSING');
      } finally {
        await app.services.denylist.allowIdNumber(alice, NO_SUCH_IDENTITY_NUMBER, '挂失解除');
      }
    });

    it('withdraws the case when the user started again meanwhile', async () => {
      const { reviewCase } = await openCase(app, 'dc-withdrawn');
      await startedUser(app, 'dc-withdrawn');
      expect(await codeOf(reviews.decide(alice, reviewCase.id, 'REJECT', '材料不足'))).toBe('BAD_USER_INPUT');
      const withdrawn = await reviews.get(alice, reviewCase.id);
      expect(withdrawn.status).toBe('WITHDRAWN');
      expect(withdrawn.decidedAt).not.toBeNull();
      expect(await auditOf(app, 'dc-withdrawn', 'operator.review_rejected')).toEqual([]);
    });
  });
});

describe(`${ReviewService.name}, one approval`, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: ENV });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('approves with the first operator', async () => {
    const { reviewCase } = await openCase(app, 'one-approve');
    expect(app.services.reviews.approvalsRequired).toBe(1);
    const approved = await app.services.reviews.decide(alice, reviewCase.id, 'APPROVE', '核对无误');
    expect(approved).toMatchObject({ status: 'APPROVED', approvedBy: ['operator:op-alice'], decidedBy: 'operator:op-alice' });
    expect(await auditOf(app, 'one-approve', 'operator.review_approval_recorded')).toEqual([]);
  });
});
