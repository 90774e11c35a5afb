import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MAGIC_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';

const WINDOW_MS = 3_600_000;
const STATUS = `query { userAuthStatus { status lockedUntil } }`;

/** LOCKOUT_FAILURES=2 in LOCKOUT_WINDOW_SECONDS=3600, and a clock the tests move forward. */
describe('lockout and start budgets', () => {
  let app: TestApp;
  let aheadMs = 0;
  beforeAll(async () => {
    app = await startTestApp({
      env: { LOCKOUT_FAILURES: '2', LOCKOUT_WINDOW_SECONDS: String(WINDOW_MS / 1000), START_LIMIT_PER_USER: '4', START_LIMIT_PER_IP: '1000', START_LIMIT_PER_ID_NUMBER: '1000' },
      overrides: { clock: () => new Date(Date.now() + aheadMs) },
    });
  });
  afterEach(() => {
    aheadMs = 0;
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function start(userId: string, idCardNumber = validIdNumber()) {
    const res = await startVerification(app, await tokenFor(userId), { idCardNumber });
    return { verification: res.data?.startVerification, error: res.errors?.[0]?.extensions };
  }
  /** A start that Id2MetaVerify answers "mismatch": one failed verification, completed at the app's now. */
  async function fail(userId: string, idCardNumber: string = SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH): Promise<Date> {
    const { verification } = await start(userId, idCardNumber);
    expect(verification).toMatchObject({ status: 'FAILED', failureReason: { code: 'IDENTITY_NOT_CONFIRMED' } });
    return new Date(verification.completedAt);
  }
  const statusOf = async (userId: string) => (await gql(app, STATUS, {}, await tokenFor(userId))).data!.userAuthStatus;
  const paidCalls = () => app.sandbox!.calls.filter((call) => call.action === 'Id2MetaVerify').length;

  it('locks after LOCKOUT_FAILURES failures inside the window, until the older one ages out', async () => {
    const first = await fail('lock-window');
    aheadMs = 60_000;
    await fail('lock-window');
    const lockedUntil = new Date(first.getTime() + WINDOW_MS).toISOString();

    expect((await start('lock-window')).error).toEqual({ code: 'LOCKED', retryAfter: expect.any(Number), lockedUntil });
    expect(await statusOf('lock-window')).toEqual({ status: 'LOCKED', lockedUntil });

    aheadMs = WINDOW_MS + 1_000;
    expect(await statusOf('lock-window')).toEqual({ status: 'FAILED', lockedUntil: null });
    expect((await start('lock-window')).verification.status).toBe('PENDING');
  });

  it('counts a name/number mismatch and an identity not on record alike', async () => {
    await fail('lock-mixed', SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH);
    await fail('lock-mixed', SANDBOX_MAGIC_NUMBERS.NO_RECORD);
    expect((await start('lock-mixed')).error?.code).toBe('LOCKED');
  });

  it('does not count a failure older than the window', async () => {
    await fail('lock-aged');
    aheadMs = WINDOW_MS + 1_000;
    await fail('lock-aged');

    expect(await statusOf('lock-aged')).toEqual({ status: 'FAILED', lockedUntil: null });
    expect((await start('lock-aged')).verification.status).toBe('PENDING');
  });

  it('refuses a locked user before the paid Id2MetaVerify call', async () => {
    await fail('lock-unpaid');
    await fail('lock-unpaid');
    const before = paidCalls();
    expect((await start('lock-unpaid')).error?.code).toBe('LOCKED');
    expect(paidCalls()).toBe(before);
  });

  it('refuses a start over the per-user budget before the paid Id2MetaVerify call', async () => {
    for (let i = 0; i < 4; i++) expect((await start('budget-unpaid')).verification.status).toBe('PENDING');
    const before = paidCalls();
    expect((await start('budget-unpaid')).error).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(paidCalls()).toBe(before);
  });
});
