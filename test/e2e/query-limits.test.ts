import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, PRODUCTION_ENV, startTestApp, tokenFor, type GraphQLResponse, type TestApp } from '../support/app.js';
import { wsOperation } from '../support/ws-operation.js';

const ALLOWED_ORIGIN = 'https://letters.example';
const repeat = (n: number, piece: (i: number) => string) => Array.from({ length: n }, (_, i) => piece(i)).join(' ');

const HOSTILE = {
  '300 aliases': { query: `{ ${repeat(300, (i) => `a${i}: __typename`)} }`, code: 'GRAPHQL_VALIDATION_FAILED' },
  '16 aliases of a real field': { query: `{ ${repeat(16, (i) => `a${i}: consentTerms { version }`)} }`, code: 'GRAPHQL_VALIDATION_FAILED' },
  'a 50-deep query': { query: `{ __type(name: "Query") { ${'ofType { '.repeat(49)} name ${'} '.repeat(49)} } }`, code: 'GRAPHQL_VALIDATION_FAILED' },
  'a 50-deep introspection cycle': { query: `{ __schema { types { ${'fields { type { '.repeat(24)} name ${'} } '.repeat(24)} } } }`, code: 'GRAPHQL_VALIDATION_FAILED' },
  'a directive flood': { query: `{ ${repeat(50, () => '__typename @include(if: true)')} }`, code: 'GRAPHQL_VALIDATION_FAILED' },
  'a token flood': { query: `{ ${repeat(2000, () => '__typename')} }`, code: 'GRAPHQL_PARSE_FAILED' },
} as const;

const TRANSPORTS = ['HTTP', 'graphql-ws'] as const;
type Transport = (typeof TRANSPORTS)[number];

async function send(app: TestApp, transport: Transport, query: string): Promise<GraphQLResponse> {
  const token = await tokenFor('limits-user');
  if (transport === 'HTTP') return gql(app, query, {}, token);
  const outcome = await wsOperation(app, `Bearer ${token}`, query);
  if ('closeCode' in outcome) throw new Error(`socket closed ${outcome.closeCode}`);
  return outcome;
}

function expectNoInternals(response: GraphQLResponse) {
  for (const error of response.errors ?? []) {
    expect(error.extensions).not.toHaveProperty('stacktrace');
    expect(error.extensions).not.toHaveProperty('exception');
    expect(error.message).not.toMatch(/\n\s+at /);
  }
}

let app: TestApp;
let production: TestApp;
beforeAll(async () => {
  [app, production] = await Promise.all([
    startTestApp({ env: { CORS_ORIGINS: ALLOWED_ORIGIN } }),
    startTestApp({ env: PRODUCTION_ENV }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.stop(), production?.stop()]);
});

describe.each(TRANSPORTS)('query limits over %s', (transport) => {
  it.each(Object.entries(HOSTILE))('refuses %s with a coded error and keeps serving', async (_name, { query, code }) => {
    const refused = await send(app, transport, query);
    expect(refused.errors?.[0]?.extensions?.code).toBe(code);
    expect(refused.data ?? null).toBeNull();
    expectNoInternals(refused);

    const next = await send(app, transport, '{ consentTerms { version } }');
    expect(next.errors).toBeUndefined();
    expect(next.data!.consentTerms.version).toEqual(expect.any(String));
  });

  it('answers the deepest real operation within the limits', async () => {
    const res = await send(app, transport, '{ userAuthStatus { status latestVerification { id failureReason { code message } } } }');
    expect(res.errors).toBeUndefined();
  });

  it('suggests field names outside production', async () => {
    const res = await send(app, transport, '{ consentTerm { version } }');
    expect(res.errors![0]!.message).toMatch(/Did you mean/);
  });

  it('refuses introspection in production', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }']) {
      const res = await send(production, transport, query);
      expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('gives no field suggestions in production', async () => {
    const res = await send(production, transport, '{ consentTerm { version } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors![0]!.message).not.toMatch(/Did you mean|consentTerms/);
  });

  it('carries no stack trace on a production refusal', async () => {
    for (const query of [HOSTILE['a token flood'].query, '{ verification(id: 1) { id } }', '{ userAuthStatus(userId: "someone-else") { status } }']) {
      expectNoInternals(await send(production, transport, query));
    }
  });
});

describe('CSRF prevention', () => {
  const url = () => `${app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`;

  it('refuses a GET without apollo-require-preflight', async () => {
    const res = await fetch(url());
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('refuses a text/plain POST', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('serves a GET query that carries apollo-require-preflight', async () => {
    const res = await fetch(url(), { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
  });

  it('never runs a mutation from a GET', async () => {
    const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent('mutation { verifyIdentity { passed } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${app.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

  it('answers an allowed origin with Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { origin: ALLOWED_ORIGIN, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight(ALLOWED_ORIGIN)).headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });

  it('gives any other origin no Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('request size', () => {
  it('refuses an oversized body with 413 and a coded JSON error', async () => {
    const body = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(70 * 1024)}` });
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('refuses on the declared length, before reading the body', async () => {
    // Only 1 KiB of the declared 10 MiB is ever sent: an answer proves nothing more was awaited.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) } }, (res) => {
        resolve(res.statusCode!);
        res.resume();
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"query":"' + 'x'.repeat(1024));
    });
    expect(status).toBe(413);
  });

  it('closes a graphql-ws socket sent an oversized message', async () => {
    const outcome = await wsOperation(app, `Bearer ${await tokenFor('limits-user')}`, `{ __typename } # ${'x'.repeat(70 * 1024)}`);
    expect(outcome).toMatchObject({ closeCode: 1009 });
  });
});
