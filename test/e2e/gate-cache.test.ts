import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications } from '../../src/db/schema.js';
import { gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { startVerification } from '../support/verified-user.js';

const GATE = `mutation Gate($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const STATUS = `query Status($u: ID) { userAuthStatus(userId: $u) { status expiresAt } }`;
const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;

/** Two replicas of the service on one database and one Redis, each with its own gate cache. */
describe('gate cache across replicas', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  /** Replica B's clock runs this far ahead, so time can pass there without waiting. */
  let bAhead = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` };
    a = await startTestApp({ databaseUrl: database.url, env });
    b = await startTestApp({ databaseUrl: database.url, env, overrides: { clock: () => new Date(Date.now() + bAhead) } });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
  });

  const gate = async (app: TestApp, userId: string) => (await gql(app, GATE, { u: userId }, await serviceToken())).data!.verifyIdentity;

  async function startOnA(userId: string) {
    const token = await tokenFor(userId);
    const res = await startVerification(a, token);
    expect(res.errors).toBeUndefined();
    return { token, verification: res.data!.startVerification };
  }

  it('is on in the default configuration: a repeated answer comes from memory', async () => {
    const { verification } = await startOnA('user-default-cache');
    expect(await gate(b, 'user-default-cache')).toEqual({ passed: false, reason: 'PENDING' });
    // Changed behind every cache's back: no transition, no notice.
    await a.db.update(verifications).set({ status: 'CANCELED', failureCode: 'CANCELED_BY_USER', completedAt: new Date() }).where(eq(verifications.id, verification.id));
    expect(await gate(a, 'user-default-cache')).toEqual({ passed: false, reason: 'UNVERIFIED' });
    expect(await gate(b, 'user-default-cache')).toEqual({ passed: false, reason: 'PENDING' });
  });

  it('lets no replica answer PENDING once the VERIFIED result has reached a browser', async () => {
    const { token, verification } = await startOnA('user-replicas');
    expect(await gate(a, 'user-replicas')).toEqual({ passed: false, reason: 'PENDING' });
    expect(await gate(b, 'user-replicas')).toEqual({ passed: false, reason: 'PENDING' });

    const browser = wsClient(b, token);
    const watch = subscribe(browser, WATCH, { id: verification.id });
    await watch.waitFor((events) => events.length === 1);
    expect(await a.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    await watch.done;
    await browser.dispose();
    expect(watch.events.at(-1).verificationResult.status).toBe('VERIFIED');

    expect(await gate(b, 'user-replicas')).toEqual({ passed: true, reason: null });
    expect(await gate(a, 'user-replicas')).toEqual({ passed: true, reason: null });
  });

  it('answers a cached VERIFIED as EXPIRED once the identity’s time is up', async () => {
    const { verification } = await startOnA('user-expiring');
    await a.sandbox!.complete(verification.certifyId, 'pass');
    const status = await gql(a, STATUS, { u: 'user-expiring' }, await serviceToken());
    const expiresAt = new Date(status.data!.userAuthStatus.expiresAt).getTime();

    bAhead = expiresAt - 1_000 - Date.now();
    expect(await gate(b, 'user-expiring')).toEqual({ passed: true, reason: null });
    bAhead = expiresAt + 1_000 - Date.now();
    expect(await gate(b, 'user-expiring')).toEqual({ passed: false, reason: 'EXPIRED' });
    bAhead = 0;
  });

  it('answers each user from their own entry', async () => {
    await startOnA('user-own-pending');
    const { verification } = await startOnA('user-own-verified');
    await a.sandbox!.complete(verification.certifyId, 'pass');
    for (let i = 0; i < 2; i++) {
      expect(await gate(b, 'user-own-verified')).toEqual({ passed: true, reason: null });
      expect(await gate(b, 'user-own-pending')).toEqual({ passed: false, reason: 'PENDING' });
      expect(await gate(b, 'user-never-seen')).toEqual({ passed: false, reason: 'UNVERIFIED' });
    }
  });
});
