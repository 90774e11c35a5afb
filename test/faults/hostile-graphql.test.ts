import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceToken, startTestApp, tokenFor, TEST_JWT_SECRET, wsClient, type TestApp } from '../support/app.js';
import { hostileString, hostileValue, literal, startInput } from './support/hostile.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const FIELDS = 'id status certifyUrl maskedName failureReason { code }';

/** Each operation of the schema, with its arguments declared as variables or written inline. */
const OPERATIONS = {
  verification: { kind: 'query', args: { id: 'ID!' }, select: `{ ${FIELDS} }` },
  userAuthStatus: { kind: 'query', args: { userId: 'ID' }, select: '{ status isValid latestVerification { id } }' },
  consentTerms: { kind: 'query', args: {}, select: '{ version }' },
  supportedDocuments: { kind: 'query', args: {}, select: '{ type }' },
  startVerification: { kind: 'mutation', args: { input: 'StartVerificationInput!' }, select: `{ ${FIELDS} }` },
  cancelVerification: { kind: 'mutation', args: { id: 'ID!' }, select: '{ id status }' },
  verifyIdentity: { kind: 'mutation', args: { userId: 'ID' }, select: '{ passed reason }' },
} as const;
type Operation = keyof typeof OPERATIONS;

const argumentValue = (name: string) => (name === 'input' ? startInput : hostileValue);

const request = fc.record({
  operation: fc.constantFrom(...(Object.keys(OPERATIONS) as Operation[])),
  inline: fc.boolean(),
  args: fc.dictionary(fc.constantFrom('id', 'userId', 'input', 'extra'), fc.constant(undefined), { maxKeys: 2 }),
  caller: fc.constantFrom('user', 'service', 'none', 'garbage'),
  seed: fc.integer(),
}).chain((r) => {
  const declared = Object.keys(OPERATIONS[r.operation].args);
  const names = [...new Set([...declared, ...Object.keys(r.args)])];
  return fc.record(Object.fromEntries(names.map((n) => [n, argumentValue(n)]))).map((values) => ({ ...r, values }));
});

function documentFor(operation: Operation, inline: boolean, values: Record<string, unknown>) {
  const spec = OPERATIONS[operation];
  const names = Object.keys(values);
  const typeOf = (name: string) => (spec.args as Record<string, string>)[name] ?? 'String';
  if (inline) {
    const args = names.length ? `(${names.map((n) => `${n}: ${literal(values[n])}`).join(', ')})` : '';
    return { query: `${spec.kind} { ${operation}${args} ${spec.select} }`, variables: {} };
  }
  const declarations = names.length ? `(${names.map((n) => `$${n}: ${typeOf(n)}`).join(', ')})` : '';
  const args = names.length ? `(${names.map((n) => `${n}: $${n}`).join(', ')})` : '';
  return { query: `${spec.kind} Op${declarations} { ${operation}${args} ${spec.select} }`, variables: values };
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: unknown } }[] } | undefined;
  text: string;
}

async function post(app: TestApp, body: string, authorization?: string): Promise<Answer> {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body,
  });
  const text = await res.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** The contract under attack: an answer below 500, in JSON, every error coded, none internal. */
function expectCodedAnswer(answer: Answer) {
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(answer.body, answer.text).toBeDefined();
  for (const error of answer.body!.errors ?? []) {
    expect(typeof error.extensions?.code, answer.text).toBe('string');
    expect(error.extensions!.code, answer.text).not.toBe('INTERNAL_SERVER_ERROR');
  }
  if (!answer.body!.errors?.length) expect(answer.body!.data, answer.text).toBeTruthy();
}

describe('hostile GraphQL input', () => {
  let app: TestApp;
  let tokens: Record<string, string | undefined>;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '100000', START_LIMIT_PER_USER: '100000', START_LIMIT_PER_ID_NUMBER: '100000' } });
    tokens = {
      user: `Bearer ${await tokenFor('fuzz-user')}`,
      service: `Bearer ${await serviceToken()}`,
      none: undefined,
      garbage: `Bearer ${await tokenFor('fuzz-user', { secret: `${TEST_JWT_SECRET}-not` })}`,
    };
  });
  afterAll(() => app?.stop());

  // Each test on its own: nothing it sent made the server log an unhandled error.
  let mark = 0;
  beforeEach(() => {
    mark = app.logs.lines.length;
  });
  afterEach(() => {
    expect(app.logs.lines.slice(mark).filter((line) => line.includes('unhandled error') || line.includes('http error'))).toEqual([]);
  });

  it('answers every operation with any argument values, by variables or inline, with a coded error or data', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ operation, inline, values, caller }) => {
        const document = documentFor(operation, inline, values);
        expectCodedAnswer(await post(app, JSON.stringify(document), tokens[caller]));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any request body with a coded error', async () => {
    const bodies = fc.oneof(
      hostileString,
      hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({ query: hostileValue, variables: hostileValue, operationName: hostileValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      hostileString.map((q) => JSON.stringify({ query: `query { verification(id: "x") { id } } ${q}` })),
      hostileString.map((q) => JSON.stringify({ query: `{ ${q} }` })),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        expectCodedAnswer(await post(app, body, tokens.user));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers verificationResult over graphql-ws with any id, by variable or inline, with a coded error or data', async () => {
    const client = wsClient(app, tokens.user!.slice('Bearer '.length));
    try {
      await fc.assert(
        fc.asyncProperty(hostileValue, fc.boolean(), async (id, inline) => {
          const query = inline
            ? `subscription { verificationResult(id: ${literal(id)}) { id status } }`
            : `subscription($id: ID!) { verificationResult(id: $id) { id status } }`;
          const errors = await new Promise<{ extensions?: { code?: unknown } }[]>((resolve) => {
            const found: { extensions?: { code?: unknown } }[] = [];
            client.subscribe(
              { query, variables: inline ? {} : { id } },
              {
                next: (value) => found.push(...(value.errors ?? [])),
                // An array is the operation's errors; anything else means the socket itself failed.
                error: (error) => resolve([...found, ...(Array.isArray(error) ? error : [{ extensions: { code: 'socket closed' } }])]),
                complete: () => resolve(found),
              },
            );
          });
          for (const error of errors) {
            expect(error.extensions?.code, JSON.stringify(errors)).toMatch(/^[A-Z_]+$/);
            expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
          }
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    } finally {
      await client.dispose();
    }
  });

  it('never echoes an ID number it was sent in an error', async () => {
    const number = '110101199003074477';
    const document = { query: 'mutation($id: ID!) { cancelVerification(id: $id) { id } }', variables: { id: { number } } };
    const answer = await post(app, JSON.stringify(document), tokens.user);
    expectCodedAnswer(answer);
    expect(answer.text).not.toContain(number);
  });

  it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const answer = await post(app, JSON.stringify({ query: `{ consentTerms { version } }`, variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }), tokens.user);
    expect(answer.status).toBe(413);
    expect(answer.body!.errors![0]!.extensions!.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses an oversized body by its Content-Length, before reading it', async () => {
    const declared = 50 * 1024 * 1024;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': declared, authorization: tokens.user },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"query":"'); // and nothing more: the answer must not wait for the other 50 MB
    });
    expect(status).toBe(413);
  });
});
