import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';

import { hostileString } from './support/hostile.js';
import { startVerification } from '../support/verified-user.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const NAMES = ['certifyId', 'callbackToken', 'passed', 'subcode'];
/** Form-encodes like a browser; unlike encodeURIComponent it accepts lone surrogates. */
const encode = (text: string) => new URLSearchParams([['', text]]).toString().slice(1);

/** The callback's own refusals say `{ error }`; the body parser's, shared with /graphql, `{ errors: [{ extensions }] }`. */
function codeOf(text: string): unknown {
  const body = JSON.parse(text) as { error?: unknown; errors?: { extensions?: { code?: unknown } }[] };
  return body.error ?? body.errors?.[0]?.extensions?.code;
}

describe('hostile callback requests', () => {
  let app: TestApp;
  let certifyId: string;
  beforeAll(async () => {
    app = await startTestApp();
    const res = await startVerification(app, await tokenFor('callback-fuzz'));
    certifyId = res.data!.startVerification.certifyId;
  });
  afterAll(() => app?.stop());

  // Each test on its own: whatever it sent left the verification PENDING and logged no failure.
  let mark = 0;
  beforeEach(() => {
    mark = app.logs.lines.length;
  });
  afterEach(async () => {
    const row = await app.db.query.verifications.findFirst({ where: (v, { eq }) => eq(v.certifyId, certifyId) });
    expect(row!.status).toBe('PENDING');
    expect(app.logs.lines.slice(mark).filter((line) => line.includes('callback failed') || line.includes('http error'))).toEqual([]);
  });

  const value = () => fc.oneof(hostileString, fc.constant(null).map(() => certifyId), fc.constantFrom('true', 'false', '200', '205'));
  const pair = fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom('certifyId[]', 'certifyId[a]', '__proto__', 'constructor'), hostileString), value());
  /** Encoded as a client would, or raw: unescaped and broken percent sequences included. */
  const query = fc.oneof(
    fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')),
    fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    hostileString,
  );

  async function call(method: 'GET' | 'POST', search: string) {
    let target: URL;
    try {
      target = new URL(`${app.url}/callbacks/aliyun?${method === 'GET' ? search : ''}`);
    } catch {
      return undefined; // not a URL any client could send
    }
    const res = await fetch(target, method === 'POST' ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: search } : { method });
    const text = await res.text();
    return { status: res.status, text };
  }

  it('refuses any query string or form body with a 4xx and a code, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST') as fc.Arbitrary<'GET' | 'POST'>, query, async (method, search) => {
        const answer = await call(method, search);
        if (!answer) return;
        // Node itself refuses a request line past its header limit, before any route: no body then.
        if (answer.status === 431) return;
        expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
        expect(answer.status, answer.text).toBeLessThan(500);
        expect(codeOf(answer.text), answer.text).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses the right certifyId with a wrong token as 403, however the token is spelled', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString.filter((t) => t.length > 0 && t.length <= 128), async (token) => {
        const answer = await call('GET', `certifyId=${certifyId}&callbackToken=${encode(token)}&passed=true&subcode=200`);
        expect(answer!.status, answer!.text).toBe(403);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('refuses an oversized form body with 413', async () => {
    const res = await fetch(`${app.url}/callbacks/aliyun`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `certifyId=${'a'.repeat(2 * 1024 * 1024)}`,
    });
    expect(res.status).toBe(413);
  });
});
