import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { SANDBOX_MAGIC_NUMBERS, SANDBOX_PERMIT_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber, validPermitNumber } from '../support/id-numbers.js';
import { DECIDE, operatorToken, REQUEST_REVIEW } from '../support/operator.js';

const START = /* GraphQL */ `
  mutation($input: StartVerificationInput!) {
    startVerification(input: $input) { id status documentType certifyId certifyUrl maskedIdCardNumber failureReason { code } }
  }
`;
const READ = `query($id: ID!) { verification(id: $id) { id status documentType failureReason { code } } }`;
const DOCUMENTS = `{ supportedDocuments { type name description } }`;
/** Many users share the sandbox's magic numbers here: the per-number budgets are not the point. */
const ENV = { START_LIMIT_PER_ID_NUMBER: '100000', START_LIMIT_PER_IP: '100000', IDENTITY_MAX_ACCOUNTS: '1000' };

type Document = 'RESIDENT_ID_CARD' | 'HK_MACAO_RESIDENCE_PERMIT' | 'TAIWAN_RESIDENCE_PERMIT';

async function start(app: TestApp, userId: string, idCardNumber: string, input: Record<string, unknown> = {}) {
  const token = await tokenFor(userId);
  const res = await gql(app, START, { input: { realName: '陈大文', idCardNumber, consentVersion: CONSENT_TERMS.version, biometricConsent: true, ...input } }, token);
  return { token, res, verification: res.data?.startVerification, code: res.errors?.[0]?.extensions?.code as string | undefined };
}

const initCalls = (app: TestApp) => app.sandbox!.calls.filter((call) => call.action === 'InitFaceVerify');
const certifyPage = async (certifyUrl: string) => (await fetch(certifyUrl)).text();

describe('documents through the sandbox, over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: ENV });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lists the three documents, each saying travel permits and the foreign permanent residence card go to a manual review', async () => {
    const res = await gql(app, DOCUMENTS, {}, await tokenFor('docs-list'));
    const documents = res.data!.supportedDocuments as { type: string; description: string }[];
    expect(documents.map((d) => d.type)).toEqual(['RESIDENT_ID_CARD', 'HK_MACAO_RESIDENCE_PERMIT', 'TAIWAN_RESIDENCE_PERMIT']);
    for (const { description } of documents) expect(description).toMatch(/通行证.*外国人永久居留身份证.*人工审核/);
  });

  const passing: [Document, string][] = [
    ['RESIDENT_ID_CARD', validIdNumber()],
    ['HK_MACAO_RESIDENCE_PERMIT', SANDBOX_PERMIT_NUMBERS.HONG_KONG],
    ['HK_MACAO_RESIDENCE_PERMIT', SANDBOX_PERMIT_NUMBERS.MACAO],
    ['TAIWAN_RESIDENCE_PERMIT', SANDBOX_PERMIT_NUMBERS.TAIWAN],
  ];
  it.each(passing)('verifies a %s (case %#) as CertType IDENTITY_CARD and keeps its document type', async (documentType, number) => {
    const userId = `docs-pass-${number}`;
    const { token, verification } = await start(app, userId, number, { documentType });
    expect(verification).toMatchObject({ status: 'PENDING', documentType });
    expect(initCalls(app).at(-1)).toMatchObject({ certType: 'IDENTITY_CARD' });
    expect(await certifyPage(verification.certifyUrl)).toContain(documentType === 'RESIDENT_ID_CARD' ? '居民身份证' : documentType === 'TAIWAN_RESIDENCE_PERMIT' ? '台湾居民居住证' : '港澳居民居住证');
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    const read = await gql(app, READ, { id: verification.id }, token);
    expect(read.data!.verification).toMatchObject({ status: 'VERIFIED', documentType });
  });

  const failing: [Document, string, string, 'start' | 'face'][] = [
    ['RESIDENT_ID_CARD', SANDBOX_MAGIC_NUMBERS.NO_RECORD, 'IDENTITY_NOT_CONFIRMED', 'start'],
    ['HK_MACAO_RESIDENCE_PERMIT', SANDBOX_MAGIC_NUMBERS.HK_PERMIT_NO_RECORD, 'IDENTITY_NOT_CONFIRMED', 'start'],
    ['HK_MACAO_RESIDENCE_PERMIT', SANDBOX_MAGIC_NUMBERS.MACAO_PERMIT_FACE_MISMATCH, 'FACE_MISMATCH', 'face'],
    ['TAIWAN_RESIDENCE_PERMIT', SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_NAME_MISMATCH, 'IDENTITY_NOT_CONFIRMED', 'start'],
    ['TAIWAN_RESIDENCE_PERMIT', SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_LIVENESS_RISK, 'LIVENESS_RISK', 'face'],
  ];
  it.each(failing)('fails a %s magic number %s with %s', async (documentType, number, failureCode, when) => {
    const { token, verification } = await start(app, `docs-fail-${number}`, number, { documentType });
    if (when === 'start') {
      expect(verification).toMatchObject({ status: 'FAILED', documentType, failureReason: { code: failureCode } });
      return;
    }
    expect(verification.status).toBe('PENDING');
    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    const read = await gql(app, READ, { id: verification.id }, token);
    expect(read.data!.verification).toMatchObject({ status: 'FAILED', documentType, failureReason: { code: failureCode } });
  });

  it('opens a manual review for a permit holder the source cannot find, keeping the document type', async () => {
    const { token, verification } = await start(app, 'docs-review-hk', SANDBOX_MAGIC_NUMBERS.HK_PERMIT_NO_RECORD, { documentType: 'HK_MACAO_RESIDENCE_PERMIT' });
    const opened = await gql(app, REQUEST_REVIEW, { id: verification.id, note: null }, token);
    expect(opened.errors).toBeUndefined();
    const read = await gql(app, READ, { id: opened.data!.requestManualReview.verification.id }, token);
    expect(read.data!.verification).toMatchObject({ status: 'PROCESSING', documentType: 'HK_MACAO_RESIDENCE_PERMIT' });
  });

  const mismatched: [string, string, Document | undefined][] = [
    ['a Hong Kong permit number as an ID card', SANDBOX_PERMIT_NUMBERS.HONG_KONG, 'RESIDENT_ID_CARD'],
    ['a Taiwan permit number as an ID card (the default)', SANDBOX_PERMIT_NUMBERS.TAIWAN, undefined],
    ['an ID card number as a Taiwan permit', validIdNumber(), 'TAIWAN_RESIDENCE_PERMIT'],
    ['a Macao permit number as a Taiwan permit', SANDBOX_PERMIT_NUMBERS.MACAO, 'TAIWAN_RESIDENCE_PERMIT'],
    ['a Taiwan permit number as a Hong Kong/Macao permit', validPermitNumber('83'), 'HK_MACAO_RESIDENCE_PERMIT'],
  ];
  it.each(mismatched)('refuses %s with INVALID_ID_CARD_NUMBER before any provider call', async (_, number, documentType) => {
    const before = app.sandbox!.calls.length;
    const { code } = await start(app, `docs-mismatch-${number}`, number, documentType ? { documentType } : {});
    expect(code).toBe('INVALID_ID_CARD_NUMBER');
    expect(app.sandbox!.calls.length).toBe(before);
  });

  it('sends MOVE_ACTION and no SuitableType by default; the certify page says the elderly mode is off', async () => {
    const { verification } = await start(app, 'docs-standard-mode', validIdNumber());
    const call = initCalls(app).at(-1)!;
    expect(call.model).toBe('MOVE_ACTION');
    expect(call.suitableType).toBeUndefined();
    const page = await certifyPage(verification.certifyUrl);
    expect(page).toMatch(/适老化模式<\/dt><dd data-testid="sandbox-elderly">未开启/);
  });

  it('passes elderlyMode on as SuitableType, and the certify page shows it', async () => {
    const { verification } = await start(app, 'docs-elderly-mode', validIdNumber(), { elderlyMode: true });
    expect(initCalls(app).at(-1)).toMatchObject({ model: 'MOVE_ACTION', suitableType: 'ELDER' });
    const page = await certifyPage(verification.certifyUrl);
    expect(page).toMatch(/data-testid="sandbox-elderly">已开启/);
  });
});

describe('a deployment that accepts only the ID card, with another liveness model', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...ENV, ACCEPTED_DOCUMENTS: 'RESIDENT_ID_CARD', ALIYUN_LIVENESS_MODEL: 'MULTI_ACTION' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lists only the ID card', async () => {
    const res = await gql(app, DOCUMENTS, {}, await tokenFor('accepted-list'));
    expect(res.data!.supportedDocuments.map((d: { type: string }) => d.type)).toEqual(['RESIDENT_ID_CARD']);
  });

  it('ends a permit FAILED DOCUMENT_NOT_ACCEPTED without calling the provider; a manual review takes it and an operator can approve it', async () => {
    const before = app.sandbox!.calls.length;
    const { token, verification } = await start(app, 'accepted-permit', SANDBOX_PERMIT_NUMBERS.TAIWAN, { documentType: 'TAIWAN_RESIDENCE_PERMIT' });
    expect(verification).toMatchObject({ status: 'FAILED', documentType: 'TAIWAN_RESIDENCE_PERMIT', failureReason: { code: 'DOCUMENT_NOT_ACCEPTED' } });
    expect(app.sandbox!.calls.length).toBe(before);

    const opened = await gql(app, REQUEST_REVIEW, { id: verification.id, note: '我持台湾居民居住证' }, token);
    expect(opened.errors).toBeUndefined();
    expect(opened.data!.requestManualReview.failure.code).toBe('DOCUMENT_NOT_ACCEPTED');
    const decided = await gql(app, DECIDE, { caseId: opened.data!.requestManualReview.id, decision: 'APPROVE', reason: '核对居住证原件无误' }, await operatorToken());
    expect(decided.data!.decideReview.verification).toMatchObject({ status: 'VERIFIED', mode: 'MANUAL' });
  });

  it('sends the configured ALIYUN_LIVENESS_MODEL', async () => {
    await start(app, 'accepted-model', validIdNumber());
    expect(initCalls(app).at(-1)?.model).toBe('MULTI_ACTION');
  });
});
