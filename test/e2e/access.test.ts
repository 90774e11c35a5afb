import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { CONSENT_VERSION, gql, redactorToken, serviceToken, START, startTestApp, tokenFor, type GraphQLResponse, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { wsOperation } from '../support/ws-operation.js';
import { startVerification } from '../support/verified-user.js';

/**
 * Who may do what, as a table: every operation × every kind of caller × both transports. Each row gets
 * its own owner with a PENDING verification, so rows never depend on one another.
 */

interface Fixture {
  ownerId: string;
  otherId: string;
  verificationId: string;
}

const OPERATIONS = {
  'verification': {
    field: 'verification',
    query: `query($id: ID!) { verification(id: $id) { id status } }`,
    variables: (f: Fixture) => ({ id: f.verificationId }),
  },
  'userAuthStatus': {
    field: 'userAuthStatus',
    query: `query { userAuthStatus { userId status } }`,
    variables: () => ({}),
  },
  'userAuthStatus(userId)': {
    field: 'userAuthStatus',
    query: `query($userId: ID) { userAuthStatus(userId: $userId) { userId status } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'consentTerms': {
    field: 'consentTerms',
    query: `query { consentTerms { version } }`,
    variables: () => ({}),
  },
  'supportedDocuments': {
    field: 'supportedDocuments',
    query: `query { supportedDocuments { type } }`,
    variables: () => ({}),
  },
  'startVerification': {
    field: 'startVerification',
    query: START,
    variables: () => ({ input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }),
  },
  'cancelVerification': {
    field: 'cancelVerification',
    query: `mutation($id: ID!) { cancelVerification(id: $id) { id status } }`,
    variables: (f: Fixture) => ({ id: f.verificationId }),
  },
  'verifyIdentity': {
    field: 'verifyIdentity',
    query: `mutation { verifyIdentity { passed reason } }`,
    variables: () => ({}),
  },
  'verifyIdentity(userId)': {
    field: 'verifyIdentity',
    query: `mutation($userId: ID) { verifyIdentity(userId: $userId) { passed reason } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'verificationResult': {
    field: 'verificationResult',
    query: `subscription($id: ID!) { verificationResult(id: $id) { id status } }`,
    variables: (f: Fixture) => ({ id: f.verificationId }),
  },
  'requestManualReview': {
    field: 'requestManualReview',
    query: `mutation($id: ID!) { requestManualReview(verificationId: $id) { id } }`,
    variables: (f: Fixture) => ({ id: f.verificationId }),
  },
  'exportMyData': {
    field: 'exportMyData',
    query: `query { exportMyData { userId } }`,
    variables: () => ({}),
  },
  'deleteMyData': {
    field: 'deleteMyData',
    query: `mutation { deleteMyData { userId } }`,
    variables: () => ({}),
  },
  'redactUser': {
    field: 'redactUser',
    query: `mutation($userId: ID!) { redactUser(userId: $userId) { userId } }`,
    variables: (f: Fixture) => ({ userId: f.otherId }),
  },
  // The operator operations (scope realname:admin).
  'reviewCases': {
    field: 'reviewCases',
    query: `query { reviewCases { totalCount } }`,
    variables: () => ({}),
  },
  'decideReview': {
    field: 'decideReview',
    query: `mutation($id: ID!) { decideReview(caseId: $id, decision: APPROVE, reason: "access matrix") { id } }`,
    variables: () => ({ id: randomUUID() }),
  },
  'adminUser': {
    field: 'adminUser',
    query: `query($userId: ID!) { adminUser(userId: $userId) { userId } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'revealIdentity': {
    field: 'revealIdentity',
    query: `mutation($userId: ID!) { revealIdentity(userId: $userId, reason: "access matrix") { userId } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'findAccountsByIdNumber': {
    field: 'findAccountsByIdNumber',
    query: `query($n: String!) { findAccountsByIdNumber(idCardNumber: $n, reason: "access matrix") }`,
    variables: () => ({ n: validIdNumber() }),
  },
  'unlockUser': {
    field: 'unlockUser',
    query: `mutation($userId: ID!) { unlockUser(userId: $userId, reason: "access matrix") { status } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'releaseIdentity': {
    field: 'releaseIdentity',
    query: `mutation($userId: ID!) { releaseIdentity(userId: $userId, reason: "access matrix") { status } }`,
    variables: (f: Fixture) => ({ userId: f.ownerId }),
  },
  'denyIdNumber': {
    field: 'denyIdNumber',
    query: `mutation($n: String!) { denyIdNumber(idCardNumber: $n, reason: "access matrix") { changed } }`,
    variables: () => ({ n: validIdNumber() }),
  },
  'allowIdNumber': {
    field: 'allowIdNumber',
    query: `mutation($n: String!) { allowIdNumber(idCardNumber: $n, reason: "access matrix") { changed } }`,
    variables: () => ({ n: validIdNumber() }),
  },
  'denyUser': {
    field: 'denyUser',
    query: `mutation($userId: ID!) { denyUser(userId: $userId, reason: "access matrix") { changed } }`,
    variables: (f: Fixture) => ({ userId: f.otherId }),
  },
  'allowUser': {
    field: 'allowUser',
    query: `mutation($userId: ID!) { allowUser(userId: $userId, reason: "access matrix") { changed } }`,
    variables: (f: Fixture) => ({ userId: f.otherId }),
  },
  'denylist': {
    field: 'denylist',
    query: `query { denylist { kind } }`,
    variables: () => ({}),
  },
  'webhookDeliveries': {
    field: 'webhookDeliveries',
    query: `query { webhookDeliveries(status: FAILED, first: 5) { totalCount } }`,
    variables: () => ({}),
  },
  'replayWebhook': {
    field: 'replayWebhook',
    query: `mutation($id: ID!) { replayWebhook(id: $id, reason: "access matrix") { id } }`,
    variables: () => ({ id: randomUUID() }),
  },
  'verificationStats': {
    field: 'verificationStats',
    query: `query($from: DateTimeISO!, $to: DateTimeISO!) { verificationStats(from: $from, to: $to, interval: HOUR) { interval } }`,
    variables: () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() }),
  },
} as const;
type Operation = keyof typeof OPERATIONS;

/** `data`: answered; `null`: answered with null (someone else's record); otherwise the error code. */
type Outcome = 'data' | 'null' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT';

/**
 * Callers whose token is accepted: the verification's owner, another end user, the letter backend
 * (`realname:service`), the privacy back office (`realname:service realname:redact`), an operator.
 */
const ACCEPTED = ['owner', 'otherUser', 'service', 'redactor', 'operator'] as const;
type Accepted = (typeof ACCEPTED)[number];

const EXPECTED: Record<Operation, Record<Accepted, Outcome>> = {
  'verification':           { owner: 'data',           otherUser: 'null',      service: 'data',           redactor: 'data',           operator: 'null' },
  'userAuthStatus':         { owner: 'data',           otherUser: 'data',      service: 'BAD_USER_INPUT', redactor: 'BAD_USER_INPUT', operator: 'FORBIDDEN' },
  'userAuthStatus(userId)': { owner: 'data',           otherUser: 'FORBIDDEN', service: 'data',           redactor: 'data',           operator: 'FORBIDDEN' },
  'consentTerms':           { owner: 'data',           otherUser: 'data',      service: 'data',           redactor: 'data',           operator: 'data' },
  'supportedDocuments':     { owner: 'data',           otherUser: 'data',      service: 'data',           redactor: 'data',           operator: 'data' },
  'startVerification':      { owner: 'data',           otherUser: 'data',      service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'FORBIDDEN' },
  'cancelVerification':     { owner: 'data',           otherUser: 'NOT_FOUND', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'FORBIDDEN' },
  'verifyIdentity':         { owner: 'data',           otherUser: 'data',      service: 'BAD_USER_INPUT', redactor: 'BAD_USER_INPUT', operator: 'FORBIDDEN' },
  'verifyIdentity(userId)': { owner: 'data',           otherUser: 'FORBIDDEN', service: 'data',           redactor: 'data',           operator: 'FORBIDDEN' },
  'verificationResult':     { owner: 'data',           otherUser: 'NOT_FOUND', service: 'data',           redactor: 'data',           operator: 'NOT_FOUND' },
  'exportMyData':           { owner: 'data',           otherUser: 'data',      service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'FORBIDDEN' },
  'deleteMyData':           { owner: 'data',           otherUser: 'data',      service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'FORBIDDEN' },
  // Least privilege: the letter backend's token reads the gate but cannot erase anyone.
  'redactUser':             { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'data',           operator: 'FORBIDDEN' },
  // The fixture's attempt is PENDING, not FAILED: only its owner gets as far as that rule.
  'requestManualReview':    { owner: 'BAD_USER_INPUT', otherUser: 'NOT_FOUND', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'FORBIDDEN' },
  'reviewCases':            { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'decideReview':           { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'NOT_FOUND' },
  'adminUser':              { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'revealIdentity':         { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'findAccountsByIdNumber': { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'unlockUser':             { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'releaseIdentity':        { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'NOT_FOUND' },
  'denyIdNumber':           { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'allowIdNumber':          { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'denyUser':               { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'allowUser':              { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'denylist':               { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'verificationStats':      { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'webhookDeliveries':      { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'data' },
  'replayWebhook':          { owner: 'FORBIDDEN',      otherUser: 'FORBIDDEN', service: 'FORBIDDEN',      redactor: 'FORBIDDEN',      operator: 'NOT_FOUND' },
};

/** Tokens refused outright, each naming the owner as `sub`: UNAUTHENTICATED on HTTP, close 4403 on graphql-ws. */
const REFUSED = {
  'no token': async () => undefined,
  'a malformed token': async () => 'Bearer not.a.jwt',
  'a wrongly signed token': async (f: Fixture) => `Bearer ${await tokenFor(f.ownerId, { secret: 'some-other-secret-of-at-least-32-characters' })}`,
  'an expired token': async (f: Fixture) => `Bearer ${await tokenFor(f.ownerId, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
  'an alg:none token': async (f: Fixture) =>
    `Bearer ${new UnsecuredJWT({}).setSubject(f.ownerId).setIssuedAt().setExpirationTime('1h').encode()}`,
} as const;

const AUTHORIZATION: Record<Accepted, (f: Fixture) => Promise<string>> = {
  owner: async (f) => `Bearer ${await tokenFor(f.ownerId)}`,
  otherUser: async (f) => `Bearer ${await tokenFor(f.otherId)}`,
  service: async () => `Bearer ${await serviceToken()}`,
  redactor: async () => `Bearer ${await redactorToken()}`,
  operator: async () => `Bearer ${await tokenFor('access-operator', { scope: 'realname:admin' })}`,
};

let app: TestApp;
let rows = 0;
beforeAll(async () => {
  // Every request comes from 127.0.0.1: the per-IP budget is not what this file is about.
  app = await startTestApp({ env: { START_LIMIT_PER_IP: '100000' } });
});
afterAll(async () => {
  await app?.stop();
});

async function fixture(): Promise<Fixture> {
  const n = ++rows;
  const ownerId = `owner-${n}`;
  const res = await startVerification(app, await tokenFor(ownerId));
  expect(res.errors).toBeUndefined();
  return { ownerId, otherId: `other-${n}`, verificationId: res.data!.startVerification.id };
}

function outcomeOf(response: GraphQLResponse, field: string): string {
  if (response.errors?.length) return String(response.errors[0]!.extensions?.code);
  return response.data?.[field] === null ? 'null' : 'data';
}

const queryOperations = (Object.keys(OPERATIONS) as Operation[]).filter((op) => op !== 'verificationResult');

describe('over HTTP', () => {
  describe.each(Object.keys(REFUSED) as (keyof typeof REFUSED)[])('with %s', (credential) => {
    it.each(queryOperations)('%s is UNAUTHENTICATED', async (operation) => {
      const f = await fixture();
      const { query, variables, field } = OPERATIONS[operation];
      const authorization = await REFUSED[credential](f);
      const res = await gql(app, query, variables(f), undefined, authorization ? { authorization } : {});
      expect(outcomeOf(res, field)).toBe('UNAUTHENTICATED');
    });
  });

  describe.each(ACCEPTED)('as %s', (caller) => {
    it.each(queryOperations.map((op) => [op, EXPECTED[op][caller]] as const))('%s → %s', async (operation, expected) => {
      const f = await fixture();
      const { query, variables, field } = OPERATIONS[operation];
      const res = await gql(app, query, variables(f), undefined, { authorization: await AUTHORIZATION[caller](f) });
      expect(outcomeOf(res, field)).toBe(expected);
    });
  });

  it.each([...Object.keys(REFUSED), ...ACCEPTED])('verificationResult with %s is refused: subscriptions are graphql-ws only', async (credential) => {
    const f = await fixture();
    const { query, variables, field } = OPERATIONS.verificationResult;
    const authorization = credential in REFUSED ? await REFUSED[credential as keyof typeof REFUSED](f) : await AUTHORIZATION[credential as Accepted](f);
    const res = await gql(app, query, variables(f), undefined, authorization ? { authorization } : {});
    expect(res.status).toBe(400);
    expect(outcomeOf(res, field)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('over graphql-ws', () => {
  describe.each(Object.keys(REFUSED) as (keyof typeof REFUSED)[])('with %s', (credential) => {
    it.each(Object.keys(OPERATIONS) as Operation[])('%s: the connection is closed with 4403', async (operation) => {
      const f = await fixture();
      const { query, variables } = OPERATIONS[operation];
      const outcome = await wsOperation(app, await REFUSED[credential](f), query, variables(f));
      expect(outcome).toMatchObject({ closeCode: 4403 });
    });
  });

  describe.each(ACCEPTED)('as %s', (caller) => {
    it.each((Object.keys(OPERATIONS) as Operation[]).map((op) => [op, EXPECTED[op][caller]] as const))('%s → %s', async (operation, expected) => {
      const f = await fixture();
      const { query, variables, field } = OPERATIONS[operation];
      const outcome = await wsOperation(app, await AUTHORIZATION[caller](f), query, variables(f));
      expect('closeCode' in outcome ? `closed ${outcome.closeCode}` : outcomeOf(outcome, field)).toBe(expected);
    });
  });
});

describe('certify links', () => {
  const READ = `query($id: ID!) { verification(id: $id) { certifyUrl certifyId } }`;
  const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { certifyUrl certifyId } }`;
  const linksOf = async (transport: 'HTTP' | 'graphql-ws', authorization: string, id: string) => {
    if (transport === 'HTTP') return (await gql(app, READ, { id }, undefined, { authorization })).data!.verification;
    const outcome = await wsOperation(app, authorization, WATCH, { id });
    return 'data' in outcome ? outcome.data!.verificationResult : outcome;
  };

  it.each(['HTTP', 'graphql-ws'] as const)('reach the owner over %s', async (transport) => {
    const f = await fixture();
    expect(await linksOf(transport, await AUTHORIZATION.owner(f), f.verificationId)).toEqual({ certifyUrl: expect.any(String), certifyId: expect.any(String) });
  });

  it.each(['HTTP', 'graphql-ws'] as const)('never reach a service caller over %s', async (transport) => {
    const f = await fixture();
    for (const caller of ['service', 'redactor'] as const) {
      expect(await linksOf(transport, await AUTHORIZATION[caller](f), f.verificationId)).toEqual({ certifyUrl: null, certifyId: null });
    }
  });
});

describe('the callback endpoint', () => {
  it('gives a user or service bearer token no standing: only the per-verification callbackToken counts', async () => {
    const started = await startVerification(app, await tokenFor('callback-owner'));
    const { id, certifyId } = started.data!.startVerification;
    for (const authorization of [`Bearer ${await tokenFor('callback-owner')}`, `Bearer ${await serviceToken()}`]) {
      const res = await fetch(`${app.url}/callbacks/aliyun?certifyId=${certifyId}&passed=T&subcode=200&callbackToken=forged`, { headers: { authorization } });
      expect(res.status).toBe(403);
    }
    const after = await gql(app, `query($id: ID!) { verification(id: $id) { status } }`, { id }, await tokenFor('callback-owner'));
    expect(after.data!.verification.status).toBe('PENDING');
  });
});

describe('a socket outliving its token', () => {
  it('is closed with 4403 when the token expires, and not before', async () => {
    const f = await fixture();
    // Only timers made from here on are fake (the socket's expiry timer among them); they still run
    // with the real clock, and the test moves them on by the token's lifetime instead of waiting it out.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    try {
      const token = await tokenFor(f.ownerId, { expiresIn: '10m' });
      const events: string[] = [];
      let closedWith: number | undefined;
      const closed = new Promise<number>((resolve) => {
        const client = createClient({
          url: `${app.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          retryAttempts: 0,
          keepAlive: 0,
          lazy: true,
          on: { closed: (event) => resolve((closedWith = (event as { code: number }).code)) },
        });
        client.subscribe<{ verificationResult: { status: string } }>(
          { query: OPERATIONS.verificationResult.query, variables: { id: f.verificationId } },
          { next: (result) => events.push(result.data!.verificationResult.status), error: () => {}, complete: () => {} },
        );
      });
      await vi.waitFor(() => expect(events).toEqual(['PENDING']));

      await vi.advanceTimersByTimeAsync(9 * 60_000);
      expect(closedWith).toBeUndefined();
      await vi.advanceTimersByTimeAsync(2 * 60_000);
      expect(await closed).toBe(4403);
      expect(events).toEqual(['PENDING']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('tokens from a JWKS (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE)', () => {
  const ISSUER = 'https://id.weiai.example';
  const AUDIENCE = 'realname';
  interface SigningKey {
    kid: string;
    alg: 'RS256' | 'ES256';
    privateKey: CryptoKey;
    publicKey: CryptoKey;
    jwk: JWK;
  }
  async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  }
  const sign = (key: SigningKey, userId: string, claims: { iss?: string; aud?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setSubject(userId)
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key.privateKey);

  let jwksApp: TestApp;
  let jwksServer: Server;
  let served: SigningKey[];
  let fetches = 0;
  let rsa: SigningKey;
  let ec: SigningKey;
  beforeAll(async () => {
    [rsa, ec] = await Promise.all([signingKey('rsa-2026-01', 'RS256'), signingKey('ec-2026-01', 'ES256')]);
    served = [rsa, ec];
    jwksServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    jwksApp = await startTestApp({ env: { AUTH_JWT_SECRET: '', AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE } });
  });
  afterAll(async () => {
    await jwksApp?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  const statusOf = async (token: string) => {
    const res = await gql(jwksApp, `query { userAuthStatus { userId } }`, {}, token);
    return res.errors ? res.errors[0]!.extensions!.code : res.data!.userAuthStatus.userId;
  };

  it.each(['RS256', 'ES256'])('accepts a %s token over HTTP and graphql-ws', async (alg) => {
    const token = await sign(alg === 'RS256' ? rsa : ec, `jwks-${alg}`);
    expect(await statusOf(token)).toBe(`jwks-${alg}`);
    const outcome = await wsOperation(jwksApp, `Bearer ${token}`, `query { userAuthStatus { userId } }`);
    expect(outcome).toEqual({ data: { userAuthStatus: { userId: `jwks-${alg}` } } });
  });

  it.each([
    ['another issuer', { iss: 'https://someone-else.example' }],
    ['another audience', { aud: 'letters' }],
  ])('refuses a token for %s', async (_what, claims) => {
    const token = await sign(rsa, 'jwks-user', claims);
    expect(await statusOf(token)).toBe('UNAUTHENTICATED');
    expect(await wsOperation(jwksApp, `Bearer ${token}`, `query { userAuthStatus { userId } }`)).toMatchObject({ closeCode: 4403 });
  });

  it('refuses an HS256 token: no shared secret is configured', async () => {
    expect(await statusOf(await tokenFor('jwks-user'))).toBe('UNAUTHENTICATED');
  });

  it('refuses an HS256 token keyed with the published RSA key (algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .setSubject('jwks-user')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(pem));
    expect(await statusOf(token)).toBe('UNAUTHENTICATED');
  });

  it('takes a rotated-in key after the refetch cooldown, not before', async () => {
    expect(await statusOf(await sign(rsa, 'before-rotation'))).toBe('before-rotation');
    const next = await signingKey('rsa-2026-02', 'RS256');
    served = [next, ec];
    const fetchesBefore = fetches;

    // jose refetches on an unknown kid at most once per 30 s cooldown: inside it, still refused.
    expect(await statusOf(await sign(next, 'after-rotation'))).toBe('UNAUTHENTICATED');
    expect(fetches).toBe(fetchesBefore);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    try {
      expect(await statusOf(await sign(next, 'after-rotation'))).toBe('after-rotation');
      expect(fetches).toBe(fetchesBefore + 1);
      expect(await statusOf(await sign(rsa, 'retired-key'))).toBe('UNAUTHENTICATED');
    } finally {
      vi.useRealTimers();
    }
  });
});
