import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_METRICS_TOKEN, tokenFor, wsClient, type TestApp } from '../support/app.js';

/** Headers, /metrics and Apollo's own refusals, as a client on the network sees them. */

let https: TestApp;
let internalMetrics: TestApp;
beforeAll(async () => {
  [https, internalMetrics] = await Promise.all([
    startTestApp({ env: { PUBLIC_BASE_URL: 'https://realname.example', METRICS_TOKEN: TEST_METRICS_TOKEN } }),
    startTestApp({ env: { METRICS_PORT: '0' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([https?.stop(), internalMetrics?.stop()]);
});

describe('security headers', () => {
  const PATHS = ['/graphql?query=%7B__typename%7D', '/healthz', '/return', '/no-such-page', '/callbacks/aliyun'];

  it.each(PATHS)('are on %s', async (path) => {
    const res = await fetch(`${https.url}${path}`, { headers: { 'apollo-require-preflight': '1' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
  });

  it('keeps every GraphQL answer out of caches: a query, a mutation and a refusal', async () => {
    const token = await tokenFor('cache-headers');
    const post = (query: string) =>
      fetch(`${https.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    for (const query of ['query { userAuthStatus { status } }', 'mutation { verifyIdentity { passed } }', 'query { nope }']) {
      expect((await post(query)).headers.get('cache-control')).toBe('no-store');
    }
  });

  it('sends no HSTS when PUBLIC_BASE_URL is plain http', async () => {
    const res = await fetch(`${internalMetrics.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('/metrics', () => {
  it('refuses a request without the METRICS_TOKEN bearer', async () => {
    expect((await fetch(`${https.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${https.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(`${https.url}/metrics`, { headers: { authorization: `Bearer ${await tokenFor('user-1')}` } })).status).toBe(401);
  });

  it('answers with the METRICS_TOKEN bearer', async () => {
    const res = await fetch(`${https.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('realname_graphql_requests_total');
  });

  it('is served only on METRICS_PORT when that is set', async () => {
    expect((await fetch(`${internalMetrics.url}/metrics`)).status).toBe(404);
    expect(internalMetrics.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(internalMetrics.metricsUrl!);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('realname_graphql_requests_total');
  });
});

describe("Apollo's and graphql-ws's refusals keep a client's code", () => {
  const QUERY = '{ consentTerms { version } }';
  const post = async (body: unknown) => {
    const res = await fetch(`${https.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('apq-user')}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { errors?: { extensions?: { code?: string } }[] } };
  };

  it('answers a persisted query whose hash does not match its text with 400 BAD_REQUEST', async () => {
    const answer = await post({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
  });

  it('answers an unsupported persisted-query version with 400 BAD_REQUEST', async () => {
    const sha256Hash = createHash('sha256').update(QUERY).digest('hex');
    const answer = await post({ query: QUERY, extensions: { persistedQuery: { version: 2, sha256Hash } } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
  });

  it('has logged no unhandled error for them', () => {
    expect(https.logs.lines.filter((line) => line.includes('unhandled error'))).toEqual([]);
  });

  it('answers an unknown operationName over graphql-ws with OPERATION_RESOLUTION_FAILURE', async () => {
    const client = wsClient(https, await tokenFor('ws-user'));
    try {
      const errors = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: 'query A { __typename }', operationName: 'B' }, { next: () => {}, error: resolve, complete: () => resolve(undefined) });
      });
      expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })]);
    } finally {
      await client.dispose();
    }
  });
});
