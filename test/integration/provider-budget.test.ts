import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, START, startTestApp, TEST_METRICS_TOKEN, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';

/** PROVIDER_DAILY_BUDGET: a day's provider calls, counted in Redis by every replica. A start costs two. */

let replicas: TestApp[];
let drop: () => Promise<void>;
beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  const env = { PROVIDER_DAILY_BUDGET: '4', METRICS_TOKEN: TEST_METRICS_TOKEN, REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` };
  replicas = await Promise.all([0, 1].map(() => startTestApp({ databaseUrl: database.url, env })));
});
afterAll(async () => {
  await Promise.all(replicas?.map((r) => r.stop()) ?? []);
  await drop?.();
});

let users = 0;
const start = async (app: TestApp) => {
  const res = await gql(app, START, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, await tokenFor(`budget-user-${++users}`));
  return res.errors?.[0]?.extensions?.code ?? res.data!.startVerification.status;
};
const gauge = async (app: TestApp, name: string) => {
  const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

describe('the provider daily budget', () => {
  it('refuses starts on every replica with PROVIDER_UNAVAILABLE once the day’s calls are spent', async () => {
    const [a, b] = replicas as [TestApp, TestApp];
    expect(await start(a)).toBe('PENDING');
    expect(await start(b)).toBe('PENDING');
    expect(await start(a)).toBe('PROVIDER_UNAVAILABLE');
    expect(await start(b)).toBe('PROVIDER_UNAVAILABLE');
  });

  it('says so in an error log line an alert can watch', () => {
    for (const replica of replicas) {
      const line = replica.logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string; used?: number; limit?: number }).find((l) => l.msg.startsWith('provider daily budget exhausted'));
      expect(line).toMatchObject({ level: 50, used: 4, limit: 4 });
    }
  });

  it('publishes provider_daily_budget_used and provider_daily_budget_limit', async () => {
    expect(await gauge(replicas[0]!, 'provider_daily_budget_used')).toBe(4);
    expect(await gauge(replicas[0]!, 'provider_daily_budget_limit')).toBe(4);
  });
});
