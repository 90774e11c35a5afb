import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { startVerification } from '../support/verified-user.js';

const RECONCILE_AFTER_SECONDS = 180;
/** Long enough that the app's own timer never fires during a test; a record is asked about again after half of it. */
const RECONCILE_INTERVAL_SECONDS = 3600;
const MINUTE = 60_000;

/** A clock the test moves forward, or holds still at an instant; the app reads every "now" from it. */
function testClock() {
  let offsetMs = 0;
  let held: Date | undefined;
  return {
    now: () => held ?? new Date(Date.now() + offsetMs),
    advance: (ms: number) => void (offsetMs += ms),
    hold: (at: Date | undefined) => void (held = at),
  };
}

// The callbacks of these apps go to a closed port: the provider knows the outcome, the app never hears it.
const LOST_CALLBACKS = { PUBLIC_BASE_URL: 'http://127.0.0.1:9', RECONCILE_AFTER_SECONDS: String(RECONCILE_AFTER_SECONDS), RECONCILE_INTERVAL_SECONDS: String(RECONCILE_INTERVAL_SECONDS) };

async function startPending(app: TestApp, userId: string) {
  const res = await startVerification(app, await tokenFor(userId));
  const verification = res.data!.startVerification as { id: string; certifyId: string; status: string };
  expect(verification.status).toBe('PENDING');
  return verification;
}

describe('reconciler', () => {
  const clock = testClock();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: LOST_CALLBACKS, overrides: { clock: clock.now } });
  });
  afterAll(async () => {
    await app?.stop();
  });
  const record = async (id: string) => (await verificationRepository.byId(app.db, id))!;

  it('leaves a record younger than RECONCILE_AFTER_SECONDS alone', async () => {
    const v = await startPending(app, 'young');
    await app.sandbox!.complete(v.certifyId, 'pass');
    await app.services.results.reconcile();
    expect(await record(v.id)).toMatchObject({ status: 'PENDING', checkedAt: null });
  });

  it('settles a finished verification whose callback never came from DescribeFaceVerify', async () => {
    const v = await startPending(app, 'lost-callback');
    expect(await app.sandbox!.complete(v.certifyId, 'pass')).toBe('done');
    expect((await record(v.id)).status).toBe('PENDING');

    clock.advance((RECONCILE_AFTER_SECONDS + 1) * 1000);
    await app.services.results.reconcile();
    expect((await record(v.id)).status).toBe('VERIFIED');
    expect(await app.services.authStatus.statusOf('lost-callback')).toMatchObject({ status: 'VERIFIED', isValid: true });
  });

  it('settles a failed verification with the SubCode reason', async () => {
    const v = await startPending(app, 'lost-failure');
    await app.sandbox!.complete(v.certifyId, 'fail');
    clock.advance((RECONCILE_AFTER_SECONDS + 1) * 1000);
    await app.services.results.reconcile();
    expect(await record(v.id)).toMatchObject({ status: 'FAILED', failureCode: 'LIVENESS_RISK', providerSubCode: '205' });
  });

  it('keeps an unfinished verification open before it expires', async () => {
    const v = await startPending(app, 'still-on-page');
    clock.advance((RECONCILE_AFTER_SECONDS + 1) * 1000);
    await app.services.results.reconcile();
    const row = await record(v.id);
    expect(row.status).toBe('PENDING');
    expect(row.checkedAt).not.toBeNull();
  });

  it('expires an abandoned verification past expiresAt as ABANDONED', async () => {
    const v = await startPending(app, 'abandoned');
    clock.advance(31 * MINUTE);
    await app.services.results.reconcile();
    expect(await record(v.id)).toMatchObject({ status: 'EXPIRED', failureCode: 'ABANDONED' });
    expect((await app.services.authStatus.statusOf('abandoned')).isValid).toBe(false);
    const [expired] = (await auditRepository.forUser(app.db, 'abandoned')).filter((e) => e.action === 'verification.expired');
    expect(expired).toMatchObject({ actor: 'reconciler', verificationId: v.id });
  });

  it('expires an abandoned verification while DescribeFaceVerify is failing, and logs the outage by code and record only', async () => {
    const v = await startPending(app, 'provider-down');
    clock.advance(31 * MINUTE);
    app.sandbox!.setFault({ action: 'DescribeFaceVerify', kind: 'http500' });
    try {
      await app.services.results.reconcile();
    } finally {
      app.sandbox!.clearFaults();
    }
    expect(await record(v.id)).toMatchObject({ status: 'EXPIRED', failureCode: 'ABANDONED' });
    const warned = app.logs.lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'reconcile: provider unavailable' && line.verificationId === v.id);
    expect(warned).toEqual([expect.objectContaining({ level: 40, providerCode: expect.any(String) })]);
  });

  it('expires a verification at the very instant it expires', async () => {
    const v = await startPending(app, 'expires-now');
    clock.hold((await record(v.id)).expiresAt);
    try {
      await app.services.results.reconcile();
    } finally {
      clock.hold(undefined);
    }
    expect(await record(v.id)).toMatchObject({ status: 'EXPIRED', failureCode: 'ABANDONED' });
  });

  it('asks about an open record again once half the interval has passed since its last check, not before', async () => {
    const v = await startPending(app, 'checked-twice');
    clock.advance((RECONCILE_AFTER_SECONDS + 1) * 1000);
    await app.services.results.reconcile();
    const first = (await record(v.id)).checkedAt!;
    clock.advance(0.4 * RECONCILE_INTERVAL_SECONDS * 1000);
    await app.services.results.reconcile();
    expect((await record(v.id)).checkedAt).toEqual(first);
    clock.advance(0.2 * RECONCILE_INTERVAL_SECONDS * 1000);
    await app.services.results.reconcile();
    expect((await record(v.id)).checkedAt!.getTime()).toBeGreaterThan(first.getTime());
  });
});

describe('two reconcilers on one database', () => {
  const clock = testClock();
  const apps: TestApp[] = [];
  let sandbox: Sandbox;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
    const keys = loadConfig({});
    sandbox = await startSandbox({ port: 0, accessKeyId: keys.SANDBOX_ACCESS_KEY_ID, accessKeySecret: keys.SANDBOX_ACCESS_KEY_SECRET, allowHttpCallbacks: true });
    const env = { ...LOST_CALLBACKS, SANDBOX_URL: sandbox.url, REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` };
    for (let i = 0; i < 2; i++) apps.push(await startTestApp({ databaseUrl: database.url, env, overrides: { clock: clock.now } }));
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await sandbox?.close();
    await database?.drop();
  });

  it('settles each record once when both run at the same time', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const started = [];
    for (let i = 0; i < 12; i++) started.push(await startPending(i % 2 ? b : a, `pair-${i}`));
    for (const [i, v] of started.entries()) if (i % 3 === 0) await sandbox.complete(v.certifyId, 'pass');
    clock.advance(31 * MINUTE);

    const drain = async (app: TestApp) => {
      const totals = { checked: 0, settled: 0, expired: 0 };
      for (;;) {
        const round = await app.services.results.reconcile(2);
        if (round.checked === 0) return totals;
        totals.checked += round.checked;
        totals.settled += round.settled;
        totals.expired += round.expired;
      }
    };
    const [fromA, fromB] = await Promise.all([drain(a), drain(b)]);

    expect(fromA.checked + fromB.checked).toBe(12);
    expect(fromA.settled + fromB.settled).toBe(4);
    expect(fromA.expired + fromB.expired).toBe(8);
    for (const [i, v] of started.entries()) {
      const actions = (await auditRepository.forUser(a.db, `pair-${i}`)).map((e) => e.action);
      expect(actions).toEqual(['verification.started', i % 3 === 0 ? 'verification.verified' : 'verification.expired']);
      expect((await verificationRepository.byId(a.db, v.id))!.status).toBe(i % 3 === 0 ? 'VERIFIED' : 'EXPIRED');
    }
  });
});
