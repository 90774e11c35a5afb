import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { hostileString, hostileValue } from './support/hostile.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);

/**
 * The whole request surface, not just operations: any method, content type, body, query string,
 * `variables`/`extensions` (persisted queries included), GET, and the callback route. Whatever comes
 * in, the answer is below 500 and every error carries a client's code, never INTERNAL_SERVER_ERROR
 * (the code alerts watch).
 */

const QUERY = '{ consentTerms { version } }';

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql-response+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/graphql',
  'application/json; charset=latin1',
  '*/*',
  'garbage',
);
const accept = fc.constantFrom(undefined, 'application/json', 'application/graphql-response+json', 'text/html', '*/*', 'garbage;q=x');

// Biased towards shapes Apollo reads (version 1, a 64-hex hash), so that its own refusals are reached.
const persistedQuery = fc.oneof(
  { weight: 3, arbitrary: fc.record({ version: fc.oneof(fc.constant(1), fc.constant(2), hostileValue), sha256Hash: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), hostileValue) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: hostileValue },
);
const graphqlBody = fc.record(
  {
    query: fc.oneof(fc.constant(QUERY), hostileValue),
    variables: hostileValue,
    operationName: hostileValue,
    extensions: fc.oneof({ weight: 3, arbitrary: fc.record({ persistedQuery }) }, { weight: 1, arbitrary: hostileValue }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  graphqlBody.map((b) => JSON.stringify(b)),
  fc.array(graphqlBody, { maxLength: 3 }).map((b) => JSON.stringify(b)),
  hostileString,
  fc.constant(undefined),
);
const searchParams = fc.dictionary(
  fc.constantFrom('query', 'variables', 'extensions', 'operationName', 'x'),
  fc.oneof(fc.constant(QUERY), hostileString, hostileValue.map((v) => JSON.stringify(v) ?? '')),
  { maxKeys: 4 },
);

const graphqlRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH'),
  contentType,
  accept,
  preflight: fc.boolean(),
  params: searchParams,
  body,
  caller: fc.constantFrom('user', 'none', 'garbage'),
});

interface Answer {
  status: number;
  text: string;
  errors?: { extensions?: { code?: unknown } }[];
}

async function send(url: string, init: { method: string; headers: Record<string, string | undefined>; body?: string }): Promise<Answer> {
  const headers = Object.fromEntries(Object.entries(init.headers).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(url, { method: init.method, headers, body: init.method === 'GET' ? undefined : init.body });
  const text = await res.text();
  let errors: Answer['errors'];
  try {
    errors = (JSON.parse(text) as { errors?: Answer['errors'] }).errors;
  } catch {
    errors = undefined;
  }
  return { status: res.status, text, errors };
}

function expectClientAnswer(answer: Answer) {
  expect(answer.status, answer.text).toBeLessThan(500);
  for (const error of answer.errors ?? []) {
    expect(error.extensions?.code, answer.text).toMatch(/^[A-Z_]+$/);
    expect(error.extensions?.code, answer.text).not.toBe('INTERNAL_SERVER_ERROR');
  }
}

describe('hostile HTTP requests', () => {
  let app: TestApp;
  let tokens: Record<string, string | undefined>;
  beforeAll(async () => {
    app = await startTestApp();
    tokens = { user: `Bearer ${await tokenFor('fuzz-http-user')}`, none: undefined, garbage: 'Bearer a.b.c' };
  });
  afterAll(() => app?.stop());

  it('answers any method, content type, body and query string on /graphql as a client error or data', async () => {
    await fc.assert(
      fc.asyncProperty(graphqlRequest, async (r) => {
        const url = `${app.url}/graphql?${new URLSearchParams(r.params).toString()}`;
        const answer = await send(url, {
          method: r.method,
          headers: {
            'content-type': r.contentType,
            accept: r.accept,
            authorization: tokens[r.caller],
            'apollo-require-preflight': r.preflight ? '1' : undefined,
          },
          body: r.body,
        });
        expectClientAnswer(answer);
        // A refusal is JSON (outside production a GET from a browser may get the landing page; an
        // oversized URL is refused by Node's parser with an empty 431).
        if (answer.status >= 400 && answer.status !== 431) expect(() => JSON.parse(answer.text), answer.text).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any JSON body of query, variables, operationName and extensions (persisted queries too) as a client error or data', async () => {
    await fc.assert(
      fc.asyncProperty(graphqlBody, fc.constantFrom('POST', 'GET'), async (b, method) => {
        const params = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === 'string' && k !== 'variables' && k !== 'extensions' ? v : JSON.stringify(v) ?? '']));
        const url = method === 'GET' ? `${app.url}/graphql?${new URLSearchParams(params).toString()}` : `${app.url}/graphql`;
        const answer = await send(url, {
          method,
          headers: { 'content-type': 'application/json', authorization: tokens.user, 'apollo-require-preflight': '1' },
          body: JSON.stringify(b),
        });
        expectClientAnswer(answer);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any callback request below 500', async () => {
    const callback = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT'),
      contentType,
      params: fc.dictionary(fc.constantFrom('certifyId', 'passed', 'subcode', 'callbackToken', 'CallbackToken', 'certifyId[]'), hostileString, { maxKeys: 5 }),
      body: fc.oneof(hostileString, fc.dictionary(fc.constantFrom('certifyId', 'callbackToken', 'passed'), hostileString).map((d) => new URLSearchParams(d).toString())),
    });
    await fc.assert(
      fc.asyncProperty(callback, async (r) => {
        const url = `${app.url}/callbacks/aliyun?${new URLSearchParams(r.params).toString()}`;
        const answer = await send(url, { method: r.method, headers: { 'content-type': r.contentType }, body: r.body });
        expect(answer.status, answer.text).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('has logged no unhandled error', () => {
    expect(app.logs.lines.filter((line) => /unhandled error|http error|callback failed/.test(line))).toEqual([]);
  });
});
