import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications } from '../../src/db/schema.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { hashCallbackToken } from '../../src/crypto/callback-token.js';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';

/**
 * The app's PUBLIC_BASE_URL points at a closed port, so the sandbox's own callbacks are lost and each
 * test sends the callback itself. The real CallbackToken lives only in the provider's CallbackUrl, so
 * a test plants one it knows, as its hash, the way the service stores it.
 */
describe('GET|POST /callbacks/aliyun', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { PUBLIC_BASE_URL: 'http://127.0.0.1:9' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function startPending(userId: string, idCardNumber = validIdNumber()) {
    const res = await startVerification(app, await tokenFor(userId), { idCardNumber });
    const verification = res.data!.startVerification as { id: string; certifyId: string; status: string };
    expect(verification.status).toBe('PENDING');
    return verification;
  }

  async function plantCallbackToken(id: string) {
    const token = randomBytes(32).toString('base64url');
    await app.db.update(verifications).set({ callbackTokenHash: hashCallbackToken(token) }).where(eq(verifications.id, id));
    return token;
  }

  async function callback(params: Record<string, string>, method: 'GET' | 'POST' = 'GET') {
    const query = new URLSearchParams(params);
    const res =
      method === 'GET'
        ? await fetch(`${app.url}/callbacks/aliyun?${query}`)
        : await fetch(`${app.url}/callbacks/aliyun`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: query });
    return { status: res.status, body: (await res.json()) as { status?: string; error?: string } };
  }

  const statusOf = async (id: string) => (await verificationRepository.byId(app.db, id))!.status;
  const auditOf = async (userId: string, id: string) =>
    (await auditRepository.forUser(app.db, userId)).filter((e) => e.verificationId === id).map((e) => e.action);
  const passedOnTheProvider = async (certifyId: string) => expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');

  describe('forged callbacks change nothing', () => {
    it('answers 400 without a callbackToken', async () => {
      const v = await startPending('forged-missing');
      await passedOnTheProvider(v.certifyId);
      expect((await callback({ certifyId: v.certifyId, passed: 'true', subcode: '200' })).status).toBe(400);
      expect(await statusOf(v.id)).toBe('PENDING');
    });

    it('answers 400 without a certifyId', async () => {
      expect((await callback({ callbackToken: 'x'.repeat(43), passed: 'true' })).status).toBe(400);
    });

    it('answers 403 to a wrong token', async () => {
      const v = await startPending('forged-wrong');
      await plantCallbackToken(v.id);
      await passedOnTheProvider(v.certifyId);
      const res = await callback({ certifyId: v.certifyId, callbackToken: randomBytes(32).toString('base64url'), passed: 'true', subcode: '200' });
      expect(res).toEqual({ status: 403, body: { error: 'FORBIDDEN' } });
      expect(await statusOf(v.id)).toBe('PENDING');
      expect(await auditOf('forged-wrong', v.id)).toEqual(['verification.started']);
    });

    it("answers 403 to another verification's token", async () => {
      const mine = await startPending('forged-theirs-a');
      const theirs = await startPending('forged-theirs-b');
      const token = await plantCallbackToken(mine.id);
      await passedOnTheProvider(theirs.certifyId);
      expect((await callback({ certifyId: theirs.certifyId, callbackToken: token, passed: 'true' })).status).toBe(403);
      expect(await statusOf(theirs.id)).toBe('PENDING');
    });

    it.each([
      ['a NUL byte', '\u0000'],
      ['a control character', 'abc\u0001def'],
      ['a space', 'abc def'],
      ['a path', '../../etc/passwd'],
      ['65 characters', 'a'.repeat(65)],
    ])('answers 400 to a certifyId with %s, before any lookup', async (_what, certifyId) => {
      expect(await callback({ certifyId, callbackToken: randomBytes(32).toString('base64url'), passed: 'true' })).toEqual({ status: 400, body: { error: 'BAD_REQUEST' } });
    });

    it('answers 400 to a callbackToken longer than 128 characters, and 403 to a wrong one of 128', async () => {
      const v = await startPending('forged-long-token');
      expect((await callback({ certifyId: v.certifyId, callbackToken: 'x'.repeat(129) })).status).toBe(400);
      expect((await callback({ certifyId: v.certifyId, callbackToken: 'x'.repeat(128) })).status).toBe(403);
    });

    it('answers 403 to an unknown certifyId', async () => {
      const res = await callback({ certifyId: randomBytes(16).toString('hex'), callbackToken: randomBytes(32).toString('base64url'), passed: 'true' });
      expect(res.status).toBe(403);
    });

    it('never verifies on passed=true while the provider says the user has not finished', async () => {
      const v = await startPending('forged-unfinished');
      const token = await plantCallbackToken(v.id);
      const res = await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true', subcode: '200' });
      expect(res).toEqual({ status: 200, body: { ok: true, status: 'PROCESSING' } });
      expect(await statusOf(v.id)).toBe('PROCESSING');
    });

    it.each([
      ['face mismatch', SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH, 'FACE_MISMATCH'],
      ['liveness risk', SANDBOX_MAGIC_NUMBERS.LIVENESS_RISK, 'LIVENESS_RISK'],
    ])('takes the verdict from DescribeFaceVerify, not from passed=true: %s ends FAILED', async (_what, idCardNumber, reason) => {
      const v = await startPending(`verdict-${reason}`, idCardNumber);
      const token = await plantCallbackToken(v.id);
      await passedOnTheProvider(v.certifyId);
      expect((await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true', subcode: '200' })).body.status).toBe('FAILED');
      expect(await verificationRepository.byId(app.db, v.id)).toMatchObject({ status: 'FAILED', failureCode: reason });
    });

    it('leaves a canceled verification canceled', async () => {
      const v = await startPending('forged-canceled');
      const token = await plantCallbackToken(v.id);
      await gql(app, `mutation($id: ID!) { cancelVerification(id: $id) { status } }`, { id: v.id }, await tokenFor('forged-canceled'));
      await passedOnTheProvider(v.certifyId);
      expect((await callback({ certifyId: v.certifyId, callbackToken: token })).body.status).toBe('CANCELED');
      expect(await statusOf(v.id)).toBe('CANCELED');
    });
  });

  it('moves once: repeats after VERIFIED add no audit event and publish nothing', async () => {
    const v = await startPending('duplicate');
    const token = await plantCallbackToken(v.id);
    const published: string[] = [];
    let markerBack = () => {};
    const marker = new Promise<void>((resolve) => (markerBack = resolve));
    const unlisten = await app.bus.listen('verificationResult', v.id, (event) => (event.status === 'MARKER' ? markerBack() : published.push(event.status)));
    await passedOnTheProvider(v.certifyId);

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true', subcode: '200' }));
    expect(answers.map((a) => a.body.status)).toEqual(['VERIFIED', 'VERIFIED', 'VERIFIED']);

    // One channel is ordered: once our marker is back, everything published before it has arrived.
    await app.bus.publish('verificationResult', v.id, { verificationId: v.id, userId: 'duplicate', status: 'MARKER', at: new Date().toISOString(), change: 'moved', createdAt: new Date().toISOString(), failureCode: null });
    await marker;
    unlisten();
    expect(published).toEqual(['VERIFIED']);
    expect(await auditOf('duplicate', v.id)).toEqual(['verification.started', 'verification.verified']);
  });

  it('moves once under 20 concurrent callbacks: one VERIFIED, one audit event, one publish', async () => {
    const v = await startPending('concurrent');
    const token = await plantCallbackToken(v.id);
    const published: string[] = [];
    let markerBack = () => {};
    const marker = new Promise<void>((resolve) => (markerBack = resolve));
    const unlisten = await app.bus.listen('verificationResult', v.id, (event) => (event.status === 'MARKER' ? markerBack() : published.push(event.status)));
    await passedOnTheProvider(v.certifyId);

    const answers = await Promise.all(Array.from({ length: 20 }, () => callback({ certifyId: v.certifyId, callbackToken: token })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(['VERIFIED']));

    await app.bus.publish('verificationResult', v.id, { verificationId: v.id, userId: 'concurrent', status: 'MARKER', at: new Date().toISOString(), change: 'moved', createdAt: new Date().toISOString(), failureCode: null });
    await marker;
    unlisten();
    expect(published).toEqual(['VERIFIED']);
    expect(await auditOf('concurrent', v.id)).toEqual(['verification.started', 'verification.verified']);
  });

  it("answers 503 and keeps the record open while DescribeFaceVerify is unavailable; Aliyun's retry settles it", async () => {
    const v = await startPending('describe-down');
    const token = await plantCallbackToken(v.id);
    await passedOnTheProvider(v.certifyId);
    app.sandbox!.setFault({ action: 'DescribeFaceVerify', kind: 'http500' });
    try {
      expect(await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true' })).toEqual({ status: 503, body: { error: 'PROVIDER_UNAVAILABLE' } });
      expect(await statusOf(v.id)).toBe('PENDING');
    } finally {
      app.sandbox!.clearFaults();
    }
    expect((await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true' })).body.status).toBe('VERIFIED');
  });

  it('takes the same parameters from a POST form body', async () => {
    const v = await startPending('post-body');
    const token = await plantCallbackToken(v.id);
    await passedOnTheProvider(v.certifyId);
    expect(await callback({ certifyId: v.certifyId, callbackToken: token, passed: 'true', subcode: '200' }, 'POST')).toEqual({
      status: 200,
      body: { ok: true, status: 'VERIFIED' },
    });
    expect(await statusOf(v.id)).toBe('VERIFIED');
  });
});

describe('the callback as Aliyun sends it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('sends CallbackToken on its own: CallbackUrl has no query of ours, and the token comes back as its own field', async () => {
    const res = await startVerification(app, await tokenFor('aliyun-wire'));
    const { id, certifyId } = res.data!.startVerification as { id: string; certifyId: string };
    expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');

    const sent = new URL(app.sandbox!.callbacks.find((c) => c.certifyId === certifyId)!.url);
    expect(sent.pathname).toBe('/callbacks/aliyun');
    expect([...sent.searchParams.keys()]).toEqual(['certifyId', 'passed', 'subcode', 'callbackToken']);
    expect(sent.searchParams.get('passed')).toBe('T');
    expect(await statusOf(app, id)).toBe('VERIFIED');
  });
});

async function statusOf(app: TestApp, id: string) {
  return (await verificationRepository.byId(app.db, id))!.status;
}
