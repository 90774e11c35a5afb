import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identities } from '../../src/db/schema.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { eq } from 'drizzle-orm';
import { CONSENT_VERSION, gql, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startCallbackCapture } from './support/callback-capture.js';
import { startVerification } from '../support/verified-user.js';

const POLL = `query($id: ID!) { verification(id: $id) { status } userAuthStatus { status } }`;

async function startAs(app: { url: string }, userId: string, input: Record<string, unknown> = {}) {
  const token = await tokenFor(userId);
  const res = await startVerification(app, token, input);
  return { token, res };
}

/** Counts what the app publishes on one channel, through a connection of its own. */
async function countMessages(channel: string) {
  const subscriber = new Redis(TEST_REDIS_URL);
  const messages: string[] = [];
  subscriber.on('message', (_channel, message) => messages.push(message));
  await subscriber.subscribe(channel);
  return {
    messages,
    /** Everything published before this call has arrived once our own marker has: one channel is ordered. */
    async settle() {
      const publisher = new Redis(TEST_REDIS_URL);
      const arrived = new Promise<void>((resolve) => subscriber.on('message', (_c, m) => m === 'marker' && resolve()));
      await publisher.publish(channel, 'marker');
      await arrived;
      await publisher.quit();
      await subscriber.quit();
      return messages.filter((m) => m !== 'marker').map((m) => JSON.parse(m) as { status: string });
    },
  };
}

describe('callback races', () => {
  let capture: Awaited<ReturnType<typeof startCallbackCapture>>;
  let app: TestApp;
  beforeAll(async () => {
    capture = await startCallbackCapture();
    app = await startTestApp({ env: { PUBLIC_BASE_URL: capture.url } });
  });
  afterAll(async () => {
    await app?.stop();
    await capture?.close();
  });
  const replay = (path: string) => fetch(`${app.url}${path}`).then(async (res) => ({ status: res.status, body: (await res.json()) as { status?: string } }));

  it('moves a verification once under 50 duplicate callbacks and concurrent polling', async () => {
    const { token, res } = await startAs(app, 'race-callbacks');
    const { id, certifyId } = res.data!.startVerification;
    await app.sandbox!.complete(certifyId, 'pass');
    const callback = capture.callbackFor(certifyId);
    const channel = await countMessages(`${app.config.REDIS_KEY_PREFIX}verificationResult:${id}`);

    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => replay(callback))),
      Promise.all(Array.from({ length: 20 }, () => gql(app, POLL, { id }, token))),
    ]);

    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(['VERIFIED']));
    expect((await channel.settle()).map((m) => m.status)).toEqual(['VERIFIED']);
    const audit = (await auditRepository.forUser(app.db, 'race-callbacks')).filter((e) => e.verificationId === id);
    expect(audit.map((e) => e.action)).toEqual(['verification.started', 'verification.verified']);
  });

  it('binds one ID number to exactly one of two accounts verifying it at the same time', async () => {
    const idCardNumber = validIdNumber();
    const [a, b] = await Promise.all(['race-bind-a', 'race-bind-b'].map((user) => startAs(app, user, { idCardNumber })));
    const started = [a!, b!].map((s) => s.res.data!.startVerification as { id: string; certifyId: string; status: string });
    expect(started.map((v) => v.status)).toEqual(['PENDING', 'PENDING']);
    for (const v of started) await app.sandbox!.complete(v.certifyId, 'pass');

    const callbacks = started.flatMap((v) => Array.from({ length: 10 }, () => capture.callbackFor(v.certifyId)));
    await Promise.all(callbacks.map(replay));

    const rows = await Promise.all(started.map((v) => verificationRepository.byId(app.db, v.id)));
    const outcomes = rows.map((r) => `${r!.status}:${r!.failureCode ?? ''}`).sort();
    expect(outcomes).toEqual(['FAILED:IDENTITY_ALREADY_BOUND', 'VERIFIED:']);
    const bound = await app.db.select().from(identities).where(eq(identities.idNumberIndex, rows[0]!.idNumberIndex!));
    expect(bound).toHaveLength(1);
  });
});

describe('idempotent start across replicas', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ databaseUrl: first.config.DATABASE_URL!, env: { REDIS_KEY_PREFIX: first.config.REDIS_KEY_PREFIX } });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('creates one verification when both replicas receive the same idempotencyKey at once', async () => {
    const token = await tokenFor('race-idempotent');
    const input = { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true, idempotencyKey: 'retry-key-0001' };
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => gql(i % 2 ? second : first, START, { input }, token)));

    expect(answers.flatMap((a) => a.errors ?? [])).toEqual([]);
    expect(new Set(answers.map((a) => a.data!.startVerification.id)).size).toBe(1);
    expect(await verificationRepository.allForUser(first.db, 'race-idempotent')).toHaveLength(1);
  });

  it('opens one provider session for a double submit on one replica', async () => {
    const token = await tokenFor('race-double-submit');
    const input = { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true, idempotencyKey: 'double-submit-01' };
    const sessions = () => first.sandbox!.calls.filter((c) => c.action === 'InitFaceVerify').length;
    const before = sessions();
    const answers = await Promise.all(Array.from({ length: 5 }, () => gql(first, START, { input }, token)));

    expect(new Set(answers.map((a) => a.data?.startVerification.id)).size).toBe(1);
    expect(sessions() - before).toBe(1);
  });
});
