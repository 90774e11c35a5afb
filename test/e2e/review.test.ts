import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications } from '../../src/db/schema.js';
import { gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { startVerification, STATUS } from '../support/verified-user.js';
import { validIdNumber } from '../support/id-numbers.js';
import {
  DECIDE,
  FACE_MISMATCH_NUMBER,
  operatorEventsOf,
  operatorToken,
  REQUEST_REVIEW,
  REVIEW_CASES,
  unfindableUser,
} from '../support/operator.js';

const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status mode failureReason { code } } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;

/** Many users try the sandbox's "no such identity" number here: its per-number budget is not the point. */
const ENV = { START_LIMIT_PER_ID_NUMBER: '100000', START_LIMIT_PER_IP: '100000', IDENTITY_MAX_ACCOUNTS: '1000' };

async function openCase(app: TestApp, userId: string, note: string | null = '我的身份证是新换的') {
  const user = await unfindableUser(app, userId);
  const res = await gql(app, REQUEST_REVIEW, { id: user.verificationId, note }, user.token);
  expect(res.errors).toBeUndefined();
  return { ...user, reviewCase: res.data!.requestManualReview };
}

describe('manual review, two-person approval (REVIEW_TWO_PERSON=true)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...ENV, REVIEW_TWO_PERSON: 'true' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('requestManualReview', () => {
    it('opens one case for a failure the automatic path cannot fix; a repeat returns it', async () => {
      const { reviewCase, verificationId, token } = await openCase(app, 'req-1');
      expect(reviewCase).toMatchObject({ status: 'OPEN', userId: 'req-1', note: '我的身份证是新换的', failure: { code: 'IDENTITY_NOT_CONFIRMED' }, approvedBy: [], approvalsRequired: 2 });
      expect(reviewCase.verification).toMatchObject({ status: 'PROCESSING', mode: 'MANUAL' });
      const again = await gql(app, REQUEST_REVIEW, { id: verificationId, note: null }, token);
      expect(again.data!.requestManualReview.id).toBe(reviewCase.id);
      const status = await gql(app, STATUS, {}, token);
      expect(status.data!.userAuthStatus).toMatchObject({ status: 'PENDING', isValid: false });
    });

    it('opens a case for an attempt stored by an earlier version as NAME_ID_MISMATCH, read as IDENTITY_NOT_CONFIRMED', async () => {
      const user = await unfindableUser(app, 'req-old-code');
      await app.db.update(verifications).set({ failureCode: 'NAME_ID_MISMATCH' }).where(eq(verifications.id, user.verificationId));
      const res = await gql(app, REQUEST_REVIEW, { id: user.verificationId, note: null }, user.token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.requestManualReview).toMatchObject({ status: 'OPEN', failure: { code: 'IDENTITY_NOT_CONFIRMED' } });
    });

    it('refuses a failure a new attempt can fix (a face mismatch)', async () => {
      const token = await tokenFor('req-face');
      const started = await startVerification(app, token, { realName: '王五', idCardNumber: FACE_MISMATCH_NUMBER });
      await app.sandbox!.complete(started.data!.startVerification.certifyId, 'pass');
      const res = await gql(app, REQUEST_REVIEW, { id: started.data!.startVerification.id }, token);
      expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });

    it("answers NOT_FOUND for someone else's attempt, FORBIDDEN for service and operator tokens", async () => {
      const { verificationId } = await unfindableUser(app, 'req-owner');
      expect((await gql(app, REQUEST_REVIEW, { id: verificationId }, await tokenFor('req-stranger'))).errors![0]!.extensions!.code).toBe('NOT_FOUND');
      expect((await gql(app, REQUEST_REVIEW, { id: verificationId }, await serviceToken())).errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect((await gql(app, REQUEST_REVIEW, { id: verificationId }, await operatorToken())).errors![0]!.extensions!.code).toBe('FORBIDDEN');
    });
  });

  describe('reviewCases', () => {
    it('pages the queue oldest first with cursors, masked', async () => {
      const ids: string[] = [];
      for (const n of [1, 2, 3]) ids.push((await openCase(app, `queue-${n}`)).reviewCase.id);
      const token = await operatorToken();
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const res: any = await gql(app, REVIEW_CASES, { first: 2, after }, token);
        expect(res.errors).toBeUndefined();
        const { edges, pageInfo, totalCount } = res.data!.reviewCases;
        expect(totalCount).toBeGreaterThanOrEqual(3);
        seen.push(...edges.map((e: any) => e.node.id));
        after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
        pages++;
        for (const { node } of edges) {
          expect(node.verification.maskedIdCardNumber).toBe('110101********0023');
          expect(node.attempts.every((a: any) => a.certifyUrl === null)).toBe(true);
        }
      } while (after);
      expect(pages).toBeGreaterThanOrEqual(2);
      const ours = seen.filter((id) => ids.includes(id));
      expect(ours).toEqual(ids);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('refuses a malformed cursor', async () => {
      const res = await gql(app, REVIEW_CASES, { after: 'not-a-cursor' }, await operatorToken());
      expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('decideReview', () => {
    it('APPROVE by two operators binds the identity as MANUAL; the user sees VERIFIED live and the gate passes', async () => {
      const { reviewCase, token, userId } = await openCase(app, 'approve-1');
      const client = wsClient(app, token);
      const watch = subscribe(client, WATCH, { id: reviewCase.verification.id });
      await watch.waitFor((e) => e.length === 1);

      const first = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'APPROVE', reason: '核对户籍证明无误' }, await operatorToken('op-alice'));
      expect(first.data!.decideReview).toMatchObject({ status: 'OPEN', approvedBy: ['operator:op-alice'], verification: { status: 'PROCESSING' } });
      const twice = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'APPROVE', reason: '再次批准' }, await operatorToken('op-alice'));
      expect(twice.errors![0]!.extensions!.code).toBe('FORBIDDEN');

      const second = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'APPROVE', reason: '复核通过' }, await operatorToken('op-bob'));
      expect(second.errors).toBeUndefined();
      expect(second.data!.decideReview).toMatchObject({
        status: 'APPROVED',
        approvedBy: ['operator:op-alice', 'operator:op-bob'],
        decidedBy: 'operator:op-bob',
        decisionReason: '复核通过',
        verification: { status: 'VERIFIED', mode: 'MANUAL' },
      });
      await watch.done;
      expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PROCESSING', 'VERIFIED']);
      await client.dispose();

      expect((await gql(app, STATUS, {}, token)).data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true });
      expect((await gql(app, GATE, { u: userId }, await serviceToken())).data!.verifyIdentity).toEqual({ passed: true, reason: null });
      expect(await operatorEventsOf(app, userId)).toEqual([
        { actor: 'operator:op-alice', action: 'operator.review_approval_recorded', reason: '核对户籍证明无误' },
        { actor: 'operator:op-bob', action: 'operator.review_approved', reason: '复核通过' },
      ]);
    });

    it('REJECT closes the case; the user sees FAILED live with REVIEW_REJECTED', async () => {
      const { reviewCase, token, userId } = await openCase(app, 'reject-1', null);
      const client = wsClient(app, token);
      const watch = subscribe(client, WATCH, { id: reviewCase.verification.id });
      await watch.waitFor((e) => e.length === 1);
      const res = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'REJECT', reason: '材料不足' }, await operatorToken());
      expect(res.data!.decideReview).toMatchObject({ status: 'REJECTED', decidedBy: 'operator:op-alice', verification: { status: 'FAILED' } });
      await watch.done;
      expect(watch.events.at(-1)!.verificationResult).toMatchObject({ status: 'FAILED', failureReason: { code: 'REVIEW_REJECTED' } });
      await client.dispose();
      expect((await gql(app, STATUS, {}, token)).data!.userAuthStatus.status).toBe('FAILED');
      expect(await operatorEventsOf(app, userId)).toEqual([{ actor: 'operator:op-alice', action: 'operator.review_rejected', reason: '材料不足' }]);
      const again = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'APPROVE', reason: '改判' }, await operatorToken('op-bob'));
      expect(again.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    });

    it('withdraws a case whose user started a new attempt meanwhile', async () => {
      const { reviewCase, token } = await openCase(app, 'withdraw-1');
      const restarted = await startVerification(app, token, { realName: '李四' });
      expect(restarted.data!.startVerification.status).toBe('PENDING');
      const res = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'REJECT', reason: '用户已重新认证' }, await operatorToken());
      expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      const withdrawn = await gql(app, REVIEW_CASES, { status: 'WITHDRAWN', first: 100 }, await operatorToken());
      expect(withdrawn.data!.reviewCases.edges.map((e: any) => e.node.id)).toContain(reviewCase.id);
    });

    it('refuses a reason holding an ID number, and an empty one', async () => {
      const { reviewCase } = await openCase(app, 'reason-1');
      for (const reason of [`核对 ${validIdNumber()} 无误`, '  ']) {
        const res = await gql(app, DECIDE, { caseId: reviewCase.id, decision: 'REJECT', reason }, await operatorToken());
        expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      }
    });
  });
});

describe('manual review, one approval and one account per number', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...ENV, IDENTITY_MAX_ACCOUNTS: '1' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses to approve a number bound elsewhere until that binding is released', async () => {
    const first = await openCase(app, 'bound-1');
    const second = await openCase(app, 'bound-2');
    const op = await operatorToken();
    const approved = await gql(app, DECIDE, { caseId: first.reviewCase.id, decision: 'APPROVE', reason: '核实无误' }, op);
    expect(approved.data!.decideReview.status).toBe('APPROVED');

    const refused = await gql(app, DECIDE, { caseId: second.reviewCase.id, decision: 'APPROVE', reason: '核实无误' }, op);
    expect(refused.errors![0]!.extensions!.code).toBe('IDENTITY_ALREADY_BOUND');
    expect((await gql(app, STATUS, {}, second.token)).data!.userAuthStatus.status).toBe('PENDING');

    const released = await gql(app, `mutation($u: ID!, $r: String!) { releaseIdentity(userId: $u, reason: $r) { status } }`, { u: 'bound-1', r: '身份被冒用' }, op);
    expect(released.data!.releaseIdentity.status).toBe('UNVERIFIED');
    const retried = await gql(app, DECIDE, { caseId: second.reviewCase.id, decision: 'APPROVE', reason: '冒用已解除' }, op);
    expect(retried.data!.decideReview).toMatchObject({ status: 'APPROVED', verification: { status: 'VERIFIED', mode: 'MANUAL' } });
  });
});
