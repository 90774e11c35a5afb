import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, START, startTestApp, tokenFor, type GraphQLResponse, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { wsOperation } from '../support/ws-operation.js';

/** Small budgets, so a burst is four requests. */
const LIMITS = { START_LIMIT_PER_USER: '3', START_LIMIT_PER_IP: '3', START_LIMIT_PER_ID_NUMBER: '3' };
/** Sandbox numbers that Id2MetaVerify rejects (mismatch, no such identity): the attempt ends FAILED at once. */
const MISMATCH = ['110101199001010015', '110101199001010023'];

let users = 0;
let addresses = 0;
const newUser = () => `rl-user-${++users}`;
/** A client address behind the proxy, never used before. */
const newIp = () => `198.51.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;

interface StartOptions {
  idCardNumber?: string;
  ip?: string;
  transport?: 'HTTP' | 'graphql-ws';
}

async function start(app: TestApp, userId: string, { idCardNumber = validIdNumber(), ip = newIp(), transport = 'HTTP' }: StartOptions = {}): Promise<GraphQLResponse> {
  const token = await tokenFor(userId);
  const variables = { input: { realName: '张三', idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true } };
  const headers = { 'x-forwarded-for': ip };
  if (transport === 'HTTP') return gql(app, START, variables, token, headers);
  const outcome = await wsOperation(app, `Bearer ${token}`, START, variables, headers);
  if ('closeCode' in outcome) throw new Error(`socket closed ${outcome.closeCode}`);
  return outcome;
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code ?? res.data?.startVerification?.status;

function expectRateLimited(res: GraphQLResponse) {
  expect(res.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
  const retryAfter = res.errors![0]!.extensions!.retryAfter as number;
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(3600);
}

describe('startVerification budgets, two replicas sharing Redis and PostgreSQL', () => {
  let replicas: TestApp[];
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const env = { ...LIMITS, TRUSTED_PROXIES: '127.0.0.1', REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` };
    replicas = await Promise.all([0, 1].map(() => startTestApp({ databaseUrl: database.url, env })));
  });
  afterAll(async () => {
    await Promise.all(replicas?.map((r) => r.stop()) ?? []);
    await drop?.();
  });
  /** Alternating replicas: neither sees more than two of the four requests on its own. */
  const replica = (i: number) => replicas[i % 2]!;

  it('refuses a burst from one user with RATE_LIMITED and retryAfter', async () => {
    const userId = newUser();
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), userId))).toBe('PENDING');
    expectRateLimited(await start(replica(3), userId));
  });

  it('keeps apart users behind the proxy with their own X-Forwarded-For', async () => {
    for (let i = 0; i < 6; i++) expect(codeOf(await start(replica(i), newUser()))).toBe('PENDING');
  });

  it('refuses a burst from one IP across users', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), newUser(), { ip }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), newUser(), { ip }));
  });

  it('refuses a burst from one IPv6 /64 across its addresses', async () => {
    const net = `2001:db8:${++addresses}:1`;
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), newUser(), { ip: `${net}::${i + 1}` }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), newUser(), { ip: `${net}:ffff:ffff:ffff:ffff` }));
  });

  it('keeps apart IPv6 clients in different /64s', async () => {
    const site = `2001:db8:${++addresses}`;
    for (let i = 0; i < 6; i++) expect(codeOf(await start(replica(i), newUser(), { ip: `${site}:${i}::1` }))).toBe('PENDING');
  });

  it('refuses a burst on one ID number across users', async () => {
    const idCardNumber = validIdNumber('19851120');
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), newUser(), { idCardNumber }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), newUser(), { idCardNumber }));
  });

  it('charges starts on a number bound to another account to that number, which start like any other', async () => {
    const idCardNumber = validIdNumber('19790214');
    const owner = await start(replica(0), newUser(), { idCardNumber });
    expect(await replica(0).sandbox!.complete(owner.data!.startVerification.certifyId, 'pass')).toBe('done');
    for (let i = 1; i < 3; i++) expect(codeOf(await start(replica(i), newUser(), { idCardNumber }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), newUser(), { idCardNumber }));
  });

  it('keeps apart graphql-ws users behind the proxy, and refuses a burst from one IP', async () => {
    for (let i = 0; i < 4; i++) expect(codeOf(await start(replica(i), newUser(), { transport: 'graphql-ws' }))).toBe('PENDING');
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), newUser(), { ip, transport: 'graphql-ws' }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), newUser(), { ip, transport: 'graphql-ws' }));
  });

  it('refuses a burst from one user over graphql-ws', async () => {
    const userId = newUser();
    for (let i = 0; i < 3; i++) expect(codeOf(await start(replica(i), userId, { transport: 'graphql-ws' }))).toBe('PENDING');
    expectRateLimited(await start(replica(3), userId, { transport: 'graphql-ws' }));
  });
});

describe('X-Forwarded-For from a peer not in TRUSTED_PROXIES', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ...LIMITS, TRUSTED_PROXIES: '10.0.0.1' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('is ignored on both paths: every start counts against the peer address', async () => {
    const transports = ['HTTP', 'graphql-ws', 'HTTP', 'graphql-ws'] as const;
    for (let i = 0; i < 3; i++) expect(codeOf(await start(app, newUser(), { transport: transports[i] }))).toBe('PENDING');
    expectRateLimited(await start(app, newUser(), { transport: transports[3] }));
  });
});

describe('lockout', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('locks the user on the sixth attempt after five failures, until a stated time', async () => {
    const userId = newUser();
    for (let i = 0; i < 5; i++) {
      const res = await start(app, userId, { idCardNumber: MISMATCH[i % 2] });
      expect(res.data!.startVerification.failureReason.code).toBe('IDENTITY_NOT_CONFIRMED');
    }
    const locked = await start(app, userId);
    expect(locked.errors?.[0]?.extensions).toEqual({ code: 'LOCKED', retryAfter: expect.any(Number), lockedUntil: expect.any(String) });
    const { retryAfter, lockedUntil } = locked.errors![0]!.extensions!;
    const untilMs = Date.parse(lockedUntil);
    expect(untilMs).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(untilMs).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    expect(Math.abs(untilMs - Date.now() - retryAfter * 1000)).toBeLessThan(60_000);

    const status = await gql(app, `query { userAuthStatus { status isValid lockedUntil } }`, {}, await tokenFor(userId));
    expect(status.data!.userAuthStatus).toEqual({ status: 'LOCKED', isValid: false, lockedUntil });
  });
});
