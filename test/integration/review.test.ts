import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, identities, reviewCases, verifications, webhookEvents } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { ReviewService } from '../../src/services/review.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { NO_SUCH_IDENTITY_NUMBER, unfindableUser } from '../support/operator.js';
import { startedUser, verifiedUser } from '../support/verified-user.js';
import { TEST_WEBHOOK_SECRET } from '../support/webhook-receiver.js';

/**
 * Many users try the sandbox's "no such identity" number here: its per-number budget is not the point.
 * The outbox records decisions for a webhook that no delivery reaches (its worker waits an hour).
 */
const ENV = {
  START_LIMIT_PER_ID_NUMBER: '100000',
  START_LIMIT_PER_IP: '100000',
  IDENTITY_MAX_ACCOUNTS: '1000',
  WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_POLL_INTERVAL_SECONDS: '3600',
};
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
/** The code and the sentence the user or operator reads. */
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );
const reviewDecisions = async (app: TestApp, userId: string) =>
  (await app.db.select().from(webhookEvents).where(and(eq(webhookEvents.userId, userId), eq(webhookEvents.type, 'review.decided')))).map((e) => JSON.parse(e.body).data);

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

    it('cancels a pending automatic attempt as SUPERSEDED when the review opens, by the user, and tells its watchers', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-supersede');
      const pending = await startedUser(app, 'rq-supersede');
      const seen: string[] = [];
      const stop = await app.bus.listen('verificationResult', pending.verificationId, (payload) => seen.push(payload.status));
      try {
        const reviewCase = await reviews.request(user('rq-supersede'), verificationId, null);
        expect(await verificationRow(app, pending.verificationId)).toMatchObject({ status: 'CANCELED', failureCode: 'SUPERSEDED' });
        expect((await verificationRow(app, reviewCase.verificationId)).status).toBe('PROCESSING');
        const [canceled] = await app.db.select().from(auditEvents).where(and(eq(auditEvents.verificationId, pending.verificationId), eq(auditEvents.action, 'verification.canceled')));
        expect(canceled).toMatchObject({ actor: 'user:rq-supersede', detail: { failureCode: 'SUPERSEDED' } });
        await expect.poll(() => seen).toEqual(['CANCELED']);
      } finally {
        stop();
      }
    });

    it('refuses an attempt that did not fail, BAD_USER_INPUT, with a sentence to act on', async () => {
      const pending = await startedUser(app, 'rq-pending');
      expect(await refusalOf(reviews.request(user('rq-pending'), pending.verificationId, null))).toEqual({ code: 'BAD_USER_INPUT', message: '该认证结果不支持人工审核,请重新发起认证' });
    });

    it('refuses an attempt that ended otherwise than FAILED, whatever code it carries', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-not-failed');
      await app.db.update(verifications).set({ status: 'EXPIRED' }).where(eq(verifications.id, verificationId));
      expect(await codeOf(reviews.request(user('rq-not-failed'), verificationId, null))).toBe('BAD_USER_INPUT');
      expect(await reviews.casesOf('rq-not-failed')).toEqual([]);
    });

    it('refuses a user verified since, ALREADY_VERIFIED, and takes one whose identity expired', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-verified');
      await verifiedUser(app, 'rq-verified');
      expect(await codeOf(reviews.request(user('rq-verified'), verificationId, null))).toBe('ALREADY_VERIFIED');
      await app.db.update(identities).set({ expiresAt: new Date(Date.now() - DAY_MS) }).where(eq(identities.userId, 'rq-verified'));
      expect((await reviews.request(user('rq-verified'), verificationId, null)).status).toBe('OPEN');
    });

    it('answers three requests of one user at once with one case', async () => {
      const { verificationId } = await unfindableUser(app, 'rq-race');
      const answers = await Promise.all([1, 2, 3].map(() => reviews.request(user('rq-race'), verificationId, null)));
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(await reviews.casesOf('rq-race')).toHaveLength(1);
      expect((await reviews.attemptsOf('rq-race')).map((v) => [v.mode, v.status])).toEqual([['MANUAL', 'PROCESSING'], ['SANDBOX', 'FAILED']]);
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
      expect(await refusalOf(reviews.request(user('rq-erased'), verificationId, null))).toEqual({ code: 'BAD_USER_INPUT', message: '该认证记录已过保存期限,请重新发起认证' });
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
      expect(await refusalOf(reviews.decide(alice, reviewCase.id, 'APPROVE', '再次批准'))).toEqual({ code: 'FORBIDDEN', message: '同一审核员不能重复批准,须由另一名审核员复核' });
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
      expect(await reviewDecisions(app, 'dc-second')).toEqual([{ caseId: reviewCase.id, decision: 'APPROVED' }]);
    });

    it('records each of two first approvals given at once, or refuses one with a sentence; never half of one', async () => {
      for (const n of [1, 2, 3]) {
        const { reviewCase } = await openCase(app, `dc-race-${n}`);
        const both = await Promise.all([alice, bob].map((op) => refusalOf(reviews.decide(op, reviewCase.id, 'APPROVE', '核对无误'))));
        const recorded = await auditOf(app, `dc-race-${n}`, 'operator.review_approval_recorded');
        const approved = await auditOf(app, `dc-race-${n}`, 'operator.review_approved');
        const after = await reviews.get(alice, reviewCase.id);
        // One after the other: the first is recorded, the second approves. At once: one is recorded, the other refused.
        if (approved.length) expect([recorded.length, after.status, both]).toEqual([1, 'APPROVED', ['resolved', 'resolved']]);
        else {
          expect(both.filter((o) => o !== 'resolved')).toEqual([{ code: 'BAD_USER_INPUT', message: '该审核已被他人处理,请刷新后重试' }]);
          expect([recorded.length, after.status, after.approvedBy.length]).toEqual([1, 'OPEN', 1]);
        }
      }
    });

    it('rejects with one operator: FAILED with REVIEW_REJECTED, closed, audited; a second decision is refused', async () => {
      const { reviewCase } = await openCase(app, 'dc-reject');
      const rejected = await reviews.decide(alice, reviewCase.id, 'REJECT', '  材料\n不足 ');
      expect(rejected).toMatchObject({ status: 'REJECTED', decidedBy: 'operator:op-alice', decisionReason: '材料 不足' });
      expect(await verificationRow(app, reviewCase.verificationId)).toMatchObject({ status: 'FAILED', failureCode: 'REVIEW_REJECTED' });
      const [event] = await auditOf(app, 'dc-reject', 'operator.review_rejected');
      expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '材料 不足', caseId: reviewCase.id } });
      expect(await reviewDecisions(app, 'dc-reject')).toEqual([{ caseId: reviewCase.id, decision: 'REJECTED' }]);
      expect(await refusalOf(reviews.decide(bob, reviewCase.id, 'REJECT', '再拒一次'))).toEqual({ code: 'BAD_USER_INPUT', message: '该审核已处理' });
    });

    it('lets one of two decisions given at once stand, and never tells the other operator the user started again', async () => {
      // Which sentence the other hears depends on whether it read the case before the first committed.
      const { reviewCase } = await openCase(app, 'dc-both');
      const both = await Promise.all([alice, bob].map((op) => refusalOf(reviews.decide(op, reviewCase.id, 'REJECT', '材料不足'))));
      expect(both.filter((o) => o === 'resolved')).toHaveLength(1);
      expect(both.filter((o) => o !== 'resolved')).toEqual([{ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^(该审核已被他人处理,请刷新后重试|该审核已处理)$/) }]);
      expect((await reviews.get(alice, reviewCase.id)).status).toBe('REJECTED');
      expect(await auditOf(app, 'dc-both', 'operator.review_rejected')).toHaveLength(1);
      expect(await reviewDecisions(app, 'dc-both')).toHaveLength(1);
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
      expect(await refusalOf(reviews.decide(alice, reviewCase.id, 'REJECT', '材料不足'))).toEqual({ code: 'BAD_USER_INPUT', message: '用户已重新发起认证,该审核已撤回' });
      const withdrawn = await reviews.get(alice, reviewCase.id);
      expect(withdrawn.status).toBe('WITHDRAWN');
      expect(withdrawn.decidedAt).not.toBeNull();
      expect(await auditOf(app, 'dc-withdrawn', 'operator.review_rejected')).toEqual([]);
    });
  });
});

describe(`${ReviewService.name}, one approval`, () => {
  let app: TestApp;
  /** Set to hold the app's clock still at an instant; undefined lets it run. */
  let frozen: Date | undefined;
  beforeAll(async () => {
    app = await startTestApp({ env: ENV, overrides: { clock: () => frozen ?? new Date() } });
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

  it('takes a request at the very instant the identity expires, not a millisecond before', async () => {
    const { verificationId } = await unfindableUser(app, 'one-edge');
    await verifiedUser(app, 'one-edge');
    const [identity] = await app.db.select().from(identities).where(eq(identities.userId, 'one-edge'));
    try {
      frozen = new Date(identity!.expiresAt.getTime() - 1);
      expect(await codeOf(app.services.reviews.request(user('one-edge'), verificationId, null))).toBe('ALREADY_VERIFIED');
      frozen = identity!.expiresAt;
      expect((await app.services.reviews.request(user('one-edge'), verificationId, null)).status).toBe('OPEN');
    } finally {
      frozen = undefined;
    }
  });
});

describe(`${ReviewService.name}, a number with two slots`, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...ENV, IDENTITY_MAX_ACCOUNTS: '2' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('binds both holders of two cases approved at once, each to its own slot, and refuses a third with a sentence', async () => {
    const cases = await Promise.all(['slot-a', 'slot-b', 'slot-c'].map((userId) => openCase(app, userId)));
    const [a, b] = await Promise.all(cases.slice(0, 2).map(({ reviewCase }) => app.services.reviews.decide(alice, reviewCase.id, 'APPROVE', '核对无误')));
    expect([a!.status, b!.status]).toEqual(['APPROVED', 'APPROVED']);
    const slots = (await app.db.select().from(identities)).filter((i) => ['slot-a', 'slot-b'].includes(i.userId)).map((i) => i.slot);
    expect(slots.sort()).toEqual([0, 1]);
    expect(await refusalOf(app.services.reviews.decide(alice, cases[2]!.reviewCase.id, 'APPROVE', '核对无误'))).toEqual({
      code: 'IDENTITY_ALREADY_BOUND',
      message: '该身份证已绑定其他账号,请先解除其他账号的绑定',
    });
    expect((await app.services.reviews.get(alice, cases[2]!.reviewCase.id)).status).toBe('OPEN');
  });
});
