import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../../src/db/schema.js';
import { CONSENT_VERSION, gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { DECIDE, operatorToken } from '../support/operator.js';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../support/webhook-receiver.js';

const REQUEST = /* GraphQL */ `
  mutation($input: DocumentReviewInput!) {
    requestDocumentReview(input: $input) {
      id status userId note failure { code message } failedVerification { id }
      verification { id status mode documentType reviewDocumentType maskedName maskedIdCardNumber }
    }
  }
`;
const QUEUE = /* GraphQL */ `
  query { reviewCases(status: OPEN, first: 20) { edges { node { id userId failure { code } failedVerification { id } verification { reviewDocumentType maskedIdCardNumber } attempts { id reviewDocumentType } } } } }
`;
const REVEAL = `mutation($u: ID!) { revealIdentity(userId: $u, reason: "核对通行证原件") { realName idCardNumber } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { id status mode failureReason { code } } }`;
const EXPORT = `query { exportMyData { reviewCases { id status failedVerificationId note } verifications { id documentType realName idCardNumber } consents { purpose biometric } } }`;
const DOCUMENTS = `query { supportedDocuments { type description } consentTerms { reviewText } }`;

const reviewInput = (input: Record<string, unknown> = {}) => ({
  documentType: 'HK_MACAO_TRAVEL_PERMIT',
  realName: '陈大文',
  documentNumber: 'H1234567801',
  note: '回乡证原件可提供',
  consentVersion: CONSENT_VERSION,
  reviewConsent: true,
  ...input,
});

let app: TestApp;
let receiver: WebhookReceiver;
let operator: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => new Date());
  app = await startTestApp({ env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_POLL_INTERVAL_SECONDS: '3600' } });
  operator = await operatorToken();
});
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

const outboxTypes = async (userId: string) => (await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, userId))).map((e) => e.type).sort();

async function request(userId: string, input: Record<string, unknown> = {}) {
  const token = await tokenFor(userId);
  return { token, res: await gql(app, REQUEST, { input: reviewInput(input) }, token) };
}

describe('requestDocumentReview over HTTP', () => {
  it('says in supportedDocuments, in Chinese, that travel permits and the foreign card go to a manual review, and offers the review notice', async () => {
    const res = await gql(app, DOCUMENTS, {}, await tokenFor('dr-e2e-docs'));
    for (const document of res.data!.supportedDocuments) expect(document.description).toMatch(/通行证.*外国人永久居留身份证.*人工审核/);
    expect(res.data!.consentTerms.reviewText).toContain('审核人员');
  });

  it('request → the operator sees the document, reveals it, approves → verifyIdentity passes, live and with review.decided', async () => {
    const { token, res } = await request('dr-e2e-approve');
    expect(res.errors).toBeUndefined();
    const opened = res.data!.requestDocumentReview;
    expect(opened).toMatchObject({
      status: 'OPEN',
      userId: 'dr-e2e-approve',
      note: '回乡证原件可提供',
      failure: { code: 'DOCUMENT_NOT_ACCEPTED' },
      failedVerification: null,
      verification: { status: 'PROCESSING', mode: 'MANUAL', documentType: null, reviewDocumentType: 'HK_MACAO_TRAVEL_PERMIT', maskedName: '陈**', maskedIdCardNumber: 'H1*****78' },
    });
    const service = await serviceToken();
    expect((await gql(app, GATE, { u: 'dr-e2e-approve' }, service)).data!.verifyIdentity).toMatchObject({ passed: false, reason: 'PENDING' });

    const queue = await gql(app, QUEUE, {}, operator);
    expect(queue.errors).toBeUndefined();
    const node = queue.data!.reviewCases.edges.map((e: { node: { id: string } }) => e.node).find((n: { id: string }) => n.id === opened.id);
    expect(node).toMatchObject({ failure: { code: 'DOCUMENT_NOT_ACCEPTED' }, failedVerification: null, verification: { reviewDocumentType: 'HK_MACAO_TRAVEL_PERMIT', maskedIdCardNumber: 'H1*****78' } });
    expect(node.attempts).toEqual([{ id: opened.verification.id, reviewDocumentType: 'HK_MACAO_TRAVEL_PERMIT' }]);
    expect((await gql(app, REVEAL, { u: 'dr-e2e-approve' }, operator)).data!.revealIdentity).toEqual({ realName: '陈大文', idCardNumber: 'H12345678' });

    const client = wsClient(app, token);
    const watch = subscribe(client, WATCH, { id: opened.verification.id });
    await watch.waitFor((events) => events.length >= 1);
    const decided = await gql(app, DECIDE, { caseId: opened.id, decision: 'APPROVE', reason: '核对通行证原件无误' }, operator);
    expect(decided.data!.decideReview).toMatchObject({ status: 'APPROVED', verification: { status: 'VERIFIED', mode: 'MANUAL' } });
    await watch.done;
    await client.dispose();
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PROCESSING', 'VERIFIED']);

    expect((await gql(app, GATE, { u: 'dr-e2e-approve' }, service)).data!.verifyIdentity).toEqual({ passed: true, reason: null });
    expect(await outboxTypes('dr-e2e-approve')).toEqual(['identity.verified', 'review.decided']);
  });

  it('reject closes the case: FAILED REVIEW_REJECTED, the gate stays shut, review.decided only', async () => {
    const { res } = await request('dr-e2e-reject', { documentType: 'FOREIGN_PERMANENT_RESIDENCE_CARD', realName: 'WU, QUANBIN', documentNumber: 'USA123456789012' });
    expect(res.errors).toBeUndefined();
    const decided = await gql(app, DECIDE, { caseId: res.data!.requestDocumentReview.id, decision: 'REJECT', reason: '号码与证件不符' }, operator);
    expect(decided.data!.decideReview).toMatchObject({ status: 'REJECTED', verification: { status: 'FAILED' } });
    expect((await gql(app, GATE, { u: 'dr-e2e-reject' }, await serviceToken())).data!.verifyIdentity).toMatchObject({ passed: false, reason: 'FAILED' });
    expect(await outboxTypes('dr-e2e-reject')).toEqual(['review.decided']);
  });

  it("refuses bad numbers with INVALID_ID_CARD_NUMBER and the document's own sentence", async () => {
    for (const [documentType, documentNumber, words] of [
      ['HK_MACAO_TRAVEL_PERMIT', 'K12345678', 'H(香港)或M(澳门)'],
      ['TAIWAN_TRAVEL_PERMIT', '1234567', '8位数字'],
      ['FOREIGN_PERMANENT_RESIDENCE_CARD', '910000199001010000', '以9开头的18位号码'],
    ] as const) {
      const { res } = await request('dr-e2e-bad', { documentType, documentNumber });
      expect(res.errors![0]).toMatchObject({ message: expect.stringContaining(words), extensions: { code: 'INVALID_ID_CARD_NUMBER' } });
      expect(res.errors![0]!.message).not.toContain(documentNumber);
    }
  });

  it('refuses a document the online path verifies, at the schema: ReviewDocumentType has only the review-only documents', async () => {
    const { res } = await request('dr-e2e-enum', { documentType: 'RESIDENT_ID_CARD' });
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a second open case; the status still shows the first', async () => {
    const first = await request('dr-e2e-second');
    const second = await request('dr-e2e-second', { documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '12345678' });
    expect(second.res.errors![0]).toMatchObject({ message: expect.stringContaining('正在处理中'), extensions: { code: 'BAD_USER_INPUT' } });
    const status = await gql(app, `query { userAuthStatus { status latestVerification { id reviewDocumentType } } }`, {}, first.token);
    expect(status.data!.userAuthStatus).toEqual({ status: 'PENDING', latestVerification: { id: first.res.data!.requestDocumentReview.verification.id, reviewDocumentType: 'HK_MACAO_TRAVEL_PERMIT' } });
  });

  it('refuses without the review consent, CONSENT_REQUIRED', async () => {
    const { res } = await request('dr-e2e-consent', { reviewConsent: false });
    expect(res.errors![0]!.extensions!.code).toBe('CONSENT_REQUIRED');
  });

  it('lets operators find and deny such a number under its document', async () => {
    await request('dr-e2e-find', { documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '55667788' });
    const FIND = `query($n: String!, $t: ReviewDocumentType) { findAccountsByIdNumber(idCardNumber: $n, reason: "核查冒用", documentType: $t) }`;
    expect((await gql(app, FIND, { n: '5566778801', t: 'TAIWAN_TRAVEL_PERMIT' }, operator)).data!.findAccountsByIdNumber).toEqual(['dr-e2e-find']);
    expect((await gql(app, FIND, { n: '55667788', t: 'HK_MACAO_TRAVEL_PERMIT' }, operator)).errors![0]!.extensions!.code).toBe('INVALID_ID_CARD_NUMBER');

    const DENY = `mutation($n: String!, $t: ReviewDocumentType) { denyIdNumber(idCardNumber: $n, reason: "证件挂失", documentType: $t) { changed } }`;
    expect((await gql(app, DENY, { n: 'm87654321', t: 'HK_MACAO_TRAVEL_PERMIT' }, operator)).data!.denyIdNumber).toEqual({ changed: true });
    const { res } = await request('dr-e2e-denied', { documentNumber: 'M8765432105' });
    expect(res.errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
  });

  it('exports the case, its note, the document and the review consent to the user', async () => {
    const { token, res } = await request('dr-e2e-export', { documentType: 'TAIWAN_TRAVEL_PERMIT', documentNumber: '8765432101(B)' });
    const exported = (await gql(app, EXPORT, {}, token)).data!.exportMyData;
    expect(exported.reviewCases).toEqual([{ id: res.data!.requestDocumentReview.id, status: 'OPEN', failedVerificationId: null, note: '回乡证原件可提供' }]);
    expect(exported.verifications).toEqual([expect.objectContaining({ documentType: 'TAIWAN_TRAVEL_PERMIT', realName: '陈大文', idCardNumber: '87654321' })]);
    expect(exported.consents).toEqual([{ purpose: 'DOCUMENT_REVIEW', biometric: false }]);
  });
});
