import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, serviceToken, START, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { scrape, type Scrape } from '../support/metrics.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed } }`;

/** What the flow moves: each of the customer's seven metrics, read back from /metrics. */
describe('/metrics', () => {
  let app: TestApp;
  const names: string[] = [];
  const numbers: string[] = [];
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_USER: '2' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function start(userId: string, idCardNumber = validIdNumber(), realName = '王小明') {
    names.push(realName);
    numbers.push(idCardNumber);
    const res = await gql(app, START, { input: { realName, idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true } }, await tokenFor(userId));
    return res;
  }
  const delta = (before: Scrape, after: Scrape, name: string, labels?: Record<string, string>) => after.value(name, labels) - before.value(name, labels);

  it('counts a start, an open session, a subscription, and a success with its processing time', async () => {
    const before = await scrape(app);
    const started = await start('metrics-pass');
    const verification = started.data!.startVerification;
    expect(verification.status).toBe('PENDING');

    const opened = await scrape(app);
    expect(delta(before, opened, 'auth_init_total')).toBe(1);
    expect(opened.value('active_auth_sessions')).toBe(1);
    expect(delta(before, opened, 'realname_provider_calls_total', { action: 'Id2MetaVerify', outcome: 'ok' })).toBe(1);
    expect(delta(before, opened, 'realname_provider_calls_total', { action: 'InitFaceVerify', outcome: 'ok' })).toBe(1);
    expect(delta(before, opened, 'realname_graphql_requests_total', { operation: 'startVerification', outcome: 'ok' })).toBe(1);
    expect(delta(before, opened, 'realname_graphql_request_duration_seconds_count', { operation: 'startVerification' })).toBe(1);

    const client = wsClient(app, await tokenFor('metrics-pass'));
    const watch = subscribe(client, WATCH, { id: verification.id });
    await watch.waitFor((events) => events.length === 1);
    expect((await scrape(app)).value('realname_subscriptions_open')).toBe(1);

    expect(await app.sandbox!.complete(verification.certifyId, 'pass')).toBe('done');
    await watch.done;
    await client.dispose();

    const done = await scrape(app);
    expect(delta(before, done, 'auth_success_total')).toBe(1);
    expect(delta(before, done, 'auth_processing_time_seconds_count', { status: 'VERIFIED' })).toBe(1);
    expect(done.value('active_auth_sessions')).toBe(0);
    expect(done.value('realname_subscriptions_open')).toBe(0);
    expect(delta(before, done, 'realname_callbacks_total', { outcome: 'accepted' })).toBe(1);
    expect(delta(before, done, 'realname_provider_calls_total', { action: 'DescribeFaceVerify', outcome: 'ok' })).toBe(1);
  });

  it('counts failures by their reason, and refused callbacks', async () => {
    const before = await scrape(app);
    const verification = (await start('metrics-fail')).data!.startVerification;
    await app.sandbox!.complete(verification.certifyId, 'fail');
    const mismatch = await start('metrics-mismatch', '110101199001010015');
    expect(mismatch.data!.startVerification.status).toBe('FAILED');
    const forged = await fetch(`${app.url}/callbacks/aliyun?certifyId=${verification.certifyId}&callbackToken=forged&passed=T`);
    expect(forged.status).toBe(403);

    const after = await scrape(app);
    expect(delta(before, after, 'auth_init_total')).toBe(2);
    expect(delta(before, after, 'auth_failure_total', { reason: 'IDENTITY_NOT_CONFIRMED' })).toBe(1);
    const faceFailures = delta(before, after, 'auth_failure_total', { reason: 'LIVENESS_RISK' }) + delta(before, after, 'auth_failure_total', { reason: 'FACE_MISMATCH' });
    expect(faceFailures).toBe(1);
    expect(delta(before, after, 'auth_processing_time_seconds_count', { status: 'FAILED' })).toBe(2);
    expect(delta(before, after, 'realname_callbacks_total', { outcome: 'refused' })).toBe(1);
  });

  it('reports the gate cache hit rate from its lookups', async () => {
    const token = await serviceToken();
    const before = await scrape(app);
    for (let i = 0; i < 3; i++) expect((await gql(app, GATE, { u: 'metrics-gate-user' }, token)).data!.verifyIdentity.passed).toBe(false);
    const after = await scrape(app);
    expect(delta(before, after, 'realname_gate_cache_lookups_total', { result: 'miss' })).toBe(1);
    expect(delta(before, after, 'realname_gate_cache_lookups_total', { result: 'hit' })).toBe(2);
    const hits = after.value('realname_gate_cache_lookups_total', { result: 'hit' });
    const misses = after.value('realname_gate_cache_lookups_total', { result: 'miss' });
    expect(after.value('cache_hit_rate')).toBeCloseTo(hits / (hits + misses), 6);
  });

  it('counts rate-limit refusals', async () => {
    const before = await scrape(app);
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const res = await start('metrics-limited', validIdNumber(`1990030${i + 1}`));
      codes.push(res.errors?.[0]?.extensions?.code ?? res.data!.startVerification.status);
    }
    expect(codes).toEqual(['PENDING', 'PENDING', 'RATE_LIMITED']);
    const after = await scrape(app);
    expect(delta(before, after, 'realname_limit_refusals_total', { kind: 'rate_limited' })).toBe(1);
    expect(delta(before, after, 'realname_graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(1);
    // The second start superseded the first: an ending the failure counter names.
    expect(delta(before, after, 'auth_failure_total', { reason: 'SUPERSEDED' })).toBe(1);
  });

  it('reports the PostgreSQL pool, readiness, and no personal data', async () => {
    const now = await scrape(app);
    const pool = ['in_use', 'idle', 'waiting'].map((state) => now.value('database_connection_pool', { state }));
    expect(pool[0]! + pool[1]!).toBe(10);
    expect(pool[2]).toBe(0);
    expect(now.text).toMatch(/^database_connection_pool\{state="waiting"\} 0$/m);
    expect(now.value('realname_ready')).toBe(1);
    for (const secret of [...names, ...numbers]) expect(now.text).not.toContain(secret);
  });
});
