import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identities } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import type { RequestMeta, StartInput } from '../../src/domain/application.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { SANDBOX_MAGIC_IMAGES } from '../../src/providers/sandbox/magic-images.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { AUDIT_CHAIN_LOCK, auditRepository } from '../../src/repositories/audit.repository.js';
import { consentRepository } from '../../src/repositories/consent.repository.js';
import { verificationRepository, type VerificationRow } from '../../src/repositories/verification.repository.js';
import { recordConsent } from '../../src/services/attempt-record.js';
import { awaitsCapture } from '../../src/services/face-capture.service.js';
import { CONSENT_VERSION, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { validIdNumber, validPermitNumber } from '../support/id-numbers.js';

const TTL_MINUTES = 45;
const META: RequestMeta = { clientIp: '198.51.100.23', userAgent: 'attempt-record-test/1.0' };
const WATCH = /* GraphQL */ `subscription($id: ID!) { verificationResult(id: $id) { id status failureReason { code } } }`;

const user = (userId: string): Actor => ({ kind: 'user', userId });
const input = (extra: Partial<StartInput> = {}): StartInput => ({
  realName: '张三',
  idCardNumber: validIdNumber(),
  consentVersion: CONSENT_VERSION,
  biometricConsent: true,
  ...extra,
});

async function counter(app: TestApp, name: 'authInit' | 'authFailure', labels: Record<string, string> = {}) {
  const { values } = await app.metrics[name].get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, string | number | undefined>)[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

/** Holds the audit chain's lock on a connection of its own until `release`; `waiters` counts the app's transactions stuck on locks. */
async function holdAuditChain(databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`select pg_advisory_lock(${AUDIT_CHAIN_LOCK})`;
  const watcher = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let released = false;
  return {
    /** Until one transaction waits for the chain lock and another for the first one's uncommitted index entry. */
    async waitForCollision() {
      const started = Date.now();
      for (;;) {
        const rows = await watcher`select wait_event from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
        const events = rows.map((r) => r.wait_event as string);
        if (events.includes('advisory') && events.includes('transactionid')) return;
        if (Date.now() - started > 15_000) throw new Error(`no collision; waiting: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async release() {
      if (released) return;
      released = true;
      await sql`select pg_advisory_unlock(${AUDIT_CHAIN_LOCK})`.catch(() => {});
      await sql.end();
      await watcher.end();
    },
  };
}

describe('recordAttempt and recordConsent: what a start leaves', () => {
  let app: TestApp;
  let frozenAt: Date | undefined;
  let users = 0;
  const nextUser = (label: string) => `ar-${label}-${++users}`;

  beforeAll(async () => {
    app = await startTestApp({
      env: { START_LIMIT_PER_IP: '1000', START_LIMIT_PER_USER: '1000', VERIFICATION_TTL_MINUTES: String(TTL_MINUTES) },
      overrides: { clock: () => (frozenAt ? new Date(frozenAt) : new Date()) },
    });
  });
  afterEach(() => {
    frozenAt = undefined;
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** The clock stands still at a whole second a little in the past, so every stamp of the start is known. */
  const freeze = () => (frozenAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 5_000));
  const start = (userId: string, extra: Partial<StartInput> = {}, channel: 'H5' | 'CAPTURE' = 'H5', meta = META) =>
    app.services.verifications.start(user(userId), input(extra), meta, channel);
  const auditOf = (userId: string) => auditRepository.forUser(app.db, userId);

  /** Every userStatus announcement for `userId` while `run` runs. */
  async function userStatusAnnouncements(userId: string, run: () => Promise<unknown>) {
    const seen: string[] = [];
    const unlisten = await app.bus.listen('userStatus', undefined, (payload) => {
      if (payload.userId === userId) seen.push(payload.userId);
    });
    try {
      await run();
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      unlisten();
    }
    return seen.length;
  }

  describe('an H5 start (a certify page)', () => {
    it('writes a PENDING record with the session, the token hash, the mode, purpose, document and exact times', async () => {
      const now = freeze();
      const userId = nextUser('h5');
      const idempotencyKey = 'ar-h5-key-0001';
      const row = await start(userId, { idempotencyKey });
      const [stored] = await verificationRepository.allForUser(app.db, userId);
      expect(stored).toEqual(row);
      expect(row).toMatchObject({
        userId,
        status: 'PENDING',
        mode: 'SANDBOX',
        purpose: 'VERIFY',
        documentType: 'RESIDENT_ID_CARD',
        failureCode: null,
        providerSubCode: null,
        idempotencyKey,
        outerOrderNo: row.id.replaceAll('-', ''),
        certifyId: expect.stringMatching(/^\S+$/),
        certifyUrl: expect.stringMatching(/^http/),
        callbackTokenHash: expect.stringMatching(/^\S{16,}$/),
        returnUrl: expect.any(String),
        createdAt: now,
        updatedAt: now,
        completedAt: null,
      });
      expect(row.expiresAt.getTime()).toBe(row.createdAt.getTime() + TTL_MINUTES * 60_000);
      expect(row.certifyUrl).toContain(row.certifyId!);
      expect(row.idNumberIndex).toEqual(expect.any(String));
      expect(row.nameCipher!.includes(Buffer.from('张三'))).toBe(false);
      expect(awaitsCapture(row)).toBe(false);
    });

    it('writes one audit event verification.started with exactly the consent version, no failure and the mode', async () => {
      const now = freeze();
      const userId = nextUser('h5-audit');
      const row = await start(userId);
      const events = await auditOf(userId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'verification.started', actor: `user:${userId}`, subjectUserId: userId, verificationId: row.id, at: now });
      expect(events[0]!.detail).toEqual({ consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX' });
    });

    it('keeps the document type of a residence permit', async () => {
      const userId = nextUser('permit');
      const row = await start(userId, { idCardNumber: validPermitNumber('81'), documentType: 'HK_MACAO_RESIDENCE_PERMIT' });
      expect(row).toMatchObject({ status: 'PENDING', documentType: 'HK_MACAO_RESIDENCE_PERMIT' });
    });
  });

  describe('a capture start (the WeChat path)', () => {
    it('writes a PENDING record with no session, no token hash, awaiting the photo, and says so in the audit trail', async () => {
      const now = freeze();
      const userId = nextUser('capture');
      const row = await start(userId, {}, 'CAPTURE');
      expect(row).toMatchObject({ status: 'PENDING', certifyId: null, certifyUrl: null, callbackTokenHash: null, failureCode: null, completedAt: null, createdAt: now, mode: 'SANDBOX', purpose: 'VERIFY' });
      expect(row.expiresAt.getTime()).toBe(now.getTime() + TTL_MINUTES * 60_000);
      expect(awaitsCapture(row)).toBe(true);
      const events = await auditOf(userId);
      expect(events.map((e) => e.action)).toEqual(['verification.started']);
      expect(events[0]!.detail).toEqual({ consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX', channel: 'face-capture' });
      // And the photo then settles it: the record really awaits a capture.
      expect((await app.services.faceCaptures.submit(user(userId), row.id, SANDBOX_MAGIC_IMAGES.PASS, META)).status).toBe('VERIFIED');
    });
  });

  describe('a start that fails at once', () => {
    it.each([
      ['a name/number mismatch', SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, 'MISMATCH'],
      ['no such identity', SANDBOX_MAGIC_NUMBERS.NO_RECORD, 'NO_RECORD'],
    ])('records FAILED IDENTITY_NOT_CONFIRMED on %s, completed at once, with which answer it was in the audit trail only', async (_, idCardNumber, identityMatch) => {
      const now = freeze();
      const userId = nextUser('mismatch');
      const row = await start(userId, { idCardNumber });
      expect(row).toMatchObject({ status: 'FAILED', failureCode: 'IDENTITY_NOT_CONFIRMED', completedAt: now, createdAt: now, certifyId: null, certifyUrl: null, callbackTokenHash: null });
      expect(row.expiresAt.getTime()).toBe(now.getTime() + TTL_MINUTES * 60_000);
      const events = await auditOf(userId);
      expect(events.map((e) => e.action)).toEqual(['verification.failed']);
      expect(events[0]).toMatchObject({ actor: `user:${userId}`, verificationId: row.id, at: now });
      expect(events[0]!.detail).toEqual({ consentVersion: CONSENT_TERMS.version, failureCode: 'IDENTITY_NOT_CONFIRMED', mode: 'SANDBOX', identityMatch });
    });

    it.each([
      ['under 14 (our own rule)', SANDBOX_MAGIC_NUMBERS.UNDER_14, 'UNDER_AGE'],
      ['too many attempts today (InitFaceVerify 418)', SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS, 'TOO_MANY_ATTEMPTS'],
      ['too many repeated calls (Id2MetaVerify 403)', SANDBOX_MAGIC_NUMBERS.TOO_MANY_REPEATED_CALLS, 'TOO_MANY_ATTEMPTS'],
    ])('records FAILED on %s, with no identity answer in the audit detail', async (_, idCardNumber, failureCode) => {
      const now = freeze();
      const userId = nextUser('failed');
      const row = await start(userId, { idCardNumber });
      expect(row).toMatchObject({ status: 'FAILED', failureCode, completedAt: now, certifyId: null, certifyUrl: null, callbackTokenHash: null });
      const events = await auditOf(userId);
      expect(events.map((e) => e.action)).toEqual(['verification.failed']);
      expect(events[0]!.detail).toEqual({ consentVersion: CONSENT_TERMS.version, failureCode, mode: 'SANDBOX' });
    });
  });

  describe('renewal and step-up', () => {
    async function verified(userId: string) {
      const row = await start(userId, {}, 'CAPTURE');
      expect((await app.services.faceCaptures.submit(user(userId), row.id, SANDBOX_MAGIC_IMAGES.PASS, META)).status).toBe('VERIFIED');
    }
    const faceCheck = { consentVersion: CONSENT_VERSION, biometricConsent: true };

    it('records STEP_UP as the purpose, in the row and in the audit detail (with the channel for a capture)', async () => {
      const userId = nextUser('step-up');
      await verified(userId);
      const capture = await app.services.verifications.startStepUp(user(userId), { ...faceCheck, faceCapture: true }, META);
      expect(capture).toMatchObject({ status: 'PENDING', purpose: 'STEP_UP', certifyUrl: null });
      const h5 = await app.services.verifications.startStepUp(user(userId), faceCheck, META);
      expect(h5).toMatchObject({ status: 'PENDING', purpose: 'STEP_UP', certifyUrl: expect.any(String) });
      const started = (await auditOf(userId)).filter((e) => e.action === 'verification.started');
      expect(started.map((e) => e.detail)).toEqual([
        { consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX', channel: 'face-capture' },
        { consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX', purpose: 'STEP_UP', channel: 'face-capture' },
        { consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX', purpose: 'STEP_UP' },
      ]);
    });

    it('records RENEWAL as the purpose', async () => {
      const userId = nextUser('renewal');
      await verified(userId);
      await app.db.update(identities).set({ expiresAt: new Date(Date.now() + 5 * 86_400_000) }).where(eq(identities.userId, userId));
      const renewal = await app.services.verifications.renew(user(userId), faceCheck, META);
      expect(renewal).toMatchObject({ status: 'PENDING', purpose: 'RENEWAL' });
      const last = (await auditOf(userId)).at(-1)!;
      expect(last).toMatchObject({ action: 'verification.started', verificationId: renewal.id });
      expect(last.detail).toEqual({ consentVersion: CONSENT_TERMS.version, failureCode: null, mode: 'SANDBOX', purpose: 'RENEWAL' });
    });
  });

  describe('the consent, recorded before the provider is called', () => {
    it('links the record to a consent with the terms version, biometric, where from and when', async () => {
      const now = freeze();
      const userId = nextUser('consent');
      const row = await start(userId);
      const consents = await consentRepository.allForUser(app.db, userId);
      expect(consents).toHaveLength(1);
      expect(consents[0]).toMatchObject({
        id: row.consentId,
        userId,
        version: CONSENT_TERMS.version,
        biometric: true,
        purpose: 'VERIFICATION',
        clientIp: META.clientIp,
        userAgent: META.userAgent,
        acceptedAt: now,
      });
    });

    it('cuts a long user agent to exactly 512 characters and stores a missing IP and user agent as null', async () => {
      const userId = nextUser('consent-meta');
      const userAgent = `${'a'.repeat(511)}bc${'d'.repeat(100)}`;
      await start(userId, {}, 'H5', { clientIp: '198.51.100.24', userAgent });
      const otherId = nextUser('consent-none');
      await start(otherId, {}, 'H5', {});
      const [long] = await consentRepository.allForUser(app.db, userId);
      expect(long!.userAgent).toBe(userAgent.slice(0, 512));
      expect(long!.userAgent).toHaveLength(512);
      const [none] = await consentRepository.allForUser(app.db, otherId);
      expect(none).toMatchObject({ clientIp: null, userAgent: null, biometric: true });
    });

    it('records a document review consent as not biometric, and a default one as biometric VERIFICATION', async () => {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const userId = nextUser('consent-direct');
      const reviewId = await recordConsent(app.db, userId, { clientIp: '198.51.100.25' }, now, 'DOCUMENT_REVIEW');
      const defaultId = await recordConsent(app.db, userId, {}, new Date(now.getTime() + 1000));
      expect(reviewId).not.toBe(defaultId);
      expect(await consentRepository.allForUser(app.db, userId)).toEqual([
        expect.objectContaining({ id: reviewId, purpose: 'DOCUMENT_REVIEW', biometric: false, clientIp: '198.51.100.25', userAgent: null, acceptedAt: now, version: CONSENT_TERMS.version }),
        expect.objectContaining({ id: defaultId, purpose: 'VERIFICATION', biometric: true, clientIp: null }),
      ]);
    });
  });

  describe('announcements', () => {
    it('announces every start once as started (auth_init_total) and tells the gate (userStatus)', async () => {
      const userId = nextUser('announce');
      const before = await counter(app, 'authInit');
      expect(await userStatusAnnouncements(userId, () => start(userId))).toBe(1);
      expect(await counter(app, 'authInit')).toBe(before + 1);
      // A start that fails at once is a start too.
      const failedUser = nextUser('announce-failed');
      expect(await userStatusAnnouncements(failedUser, () => start(failedUser, { idCardNumber: SANDBOX_MAGIC_NUMBERS.UNDER_14 }))).toBe(1);
      expect(await counter(app, 'authInit')).toBe(before + 2);
    });

    it('cancels an open attempt as SUPERSEDED in the same transaction, audits and announces it to its subscribers', async () => {
      const now = freeze();
      const userId = nextUser('supersede');
      const first = await start(userId);
      frozenAt = new Date(now.getTime() + 1000);
      const client = wsClient(app, await tokenFor(userId));
      const watch = subscribe(client, WATCH, { id: first.id });
      await watch.waitFor((events) => events.length === 1);
      const failuresBefore = await counter(app, 'authFailure', { reason: 'SUPERSEDED' });
      const initBefore = await counter(app, 'authInit');

      let second!: VerificationRow;
      const announced = await userStatusAnnouncements(userId, async () => {
        second = await start(userId, {}, 'CAPTURE');
      });
      await watch.done;
      await client.dispose();

      expect(watch.events.map((e) => [e.verificationResult.status, e.verificationResult.failureReason?.code ?? null])).toEqual([
        ['PENDING', null],
        ['CANCELED', 'SUPERSEDED'],
      ]);
      expect(announced).toBe(2);
      expect(await counter(app, 'authFailure', { reason: 'SUPERSEDED' })).toBe(failuresBefore + 1);
      expect(await counter(app, 'authInit')).toBe(initBefore + 1);
      expect(await verificationRepository.byId(app.db, first.id)).toMatchObject({ status: 'CANCELED', failureCode: 'SUPERSEDED', completedAt: frozenAt });
      expect(second).toMatchObject({ status: 'PENDING', certifyUrl: null });
      const events = await auditOf(userId);
      expect(events.map((e) => [e.action, e.verificationId])).toEqual([
        ['verification.started', first.id],
        ['verification.canceled', first.id],
        ['verification.started', second.id],
      ]);
      expect(events[1]).toMatchObject({ actor: `user:${userId}`, detail: { failureCode: 'SUPERSEDED' } });
    });
  });

  describe('races', () => {
    it('leaves one record for two concurrent starts with one idempotency key; both answers carry its id', async () => {
      const userId = nextUser('idem-race');
      const same = input({ idempotencyKey: 'ar-race-key-0001' });
      const [a, b] = await Promise.all([
        app.services.verifications.start(user(userId), same, META),
        app.services.verifications.start(user(userId), same, META),
      ]);
      expect(b.id).toBe(a.id);
      expect(await verificationRepository.allForUser(app.db, userId)).toHaveLength(1);
      expect((await auditOf(userId)).map((e) => e.action)).toEqual(['verification.started']);
    });

    it('goes again once when a concurrent start of the same user opened a record first: the later supersedes it', async () => {
      const userId = nextUser('open-race');
      const lock = await holdAuditChain(app.config.DATABASE_URL!);
      let settled: PromiseSettledResult<VerificationRow>[];
      try {
        const both = Promise.allSettled([start(userId), start(userId, {}, 'CAPTURE')]);
        // One waits at the audit chain with its record inserted, the other on that record's open-attempt index entry.
        await lock.waitForCollision();
        await lock.release();
        settled = await both;
      } finally {
        await lock.release();
      }
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
      const [a, b] = settled.map((s) => (s as PromiseFulfilledResult<VerificationRow>).value) as [VerificationRow, VerificationRow];
      expect(a.id).not.toBe(b.id);
      const rows = await verificationRepository.allForUser(app.db, userId);
      expect(rows.map((r) => [r.status, r.failureCode]).sort()).toEqual([
        ['CANCELED', 'SUPERSEDED'],
        ['PENDING', null],
      ]);
      expect((await auditOf(userId)).map((e) => e.action).sort()).toEqual(['verification.canceled', 'verification.started', 'verification.started']);
    });
  });
});

describe('recordAttempt across two replicas: two starts racing with one idempotency key', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { START_LIMIT_PER_IP: '1000' };
    one = await startTestApp({ databaseUrl: database.url, env });
    two = await startTestApp({ databaseUrl: database.url, env });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await database?.drop();
  });

  it.each(['H5', 'CAPTURE'] as const)('the loser (%s) answers the winner\'s record: one row, one audit event, both answers the same id', async (channel) => {
    const userId = `ar-replicas-${channel}`;
    const same = input({ idempotencyKey: `ar-replica-key-${channel}` });
    const lock = await holdAuditChain(database.url);
    let settled: PromiseSettledResult<VerificationRow>[];
    try {
      const both = Promise.allSettled([
        one.services.verifications.start(user(userId), same, META, channel),
        two.services.verifications.start(user(userId), same, META, channel),
      ]);
      await lock.waitForCollision();
      await lock.release();
      settled = await both;
    } finally {
      await lock.release();
    }
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    const [a, b] = settled.map((s) => (s as PromiseFulfilledResult<VerificationRow>).value) as [VerificationRow, VerificationRow];
    expect(b.id).toBe(a.id);
    expect(b).toEqual(a);
    const rows = await verificationRepository.allForUser(one.db, userId);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[a.id, 'PENDING']]);
    expect((await auditRepository.forUser(one.db, userId)).map((e) => [e.action, e.verificationId])).toEqual([['verification.started', a.id]]);
    // Both got past the key's pre-check and recorded a consent: the unique index decided, not a read.
    expect(await consentRepository.allForUser(one.db, userId)).toHaveLength(2);
  });
});
