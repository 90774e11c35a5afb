import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { FACE_MISMATCH_NUMBER, operatorToken, REQUEST_REVIEW, unfindableUser } from '../support/operator.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';

const STATS = /* GraphQL */ `
  query($from: DateTimeISO!, $to: DateTimeISO!, $interval: StatsInterval!) {
    verificationStats(from: $from, to: $to, interval: $interval) {
      interval
      buckets { start end starts byStatus { key count } byFailureCode { key count } medianSeconds p90Seconds providerErrors openReviewCases oldestOpenCaseAgeSeconds }
    }
  }
`;
const METRICS_TOKEN = 'metrics-token-for-the-stats-test';

let app: TestApp;
let startedAt: Date;
beforeAll(async () => {
  app = await startTestApp({ env: { METRICS_TOKEN, START_LIMIT_PER_IP: '100000' } });
  startedAt = new Date();
  await verifiedUser(app, 'stats-ok-1');
  await verifiedUser(app, 'stats-ok-2');
  const token = await tokenFor('stats-face');
  const started = await startVerification(app, token, { realName: '王五', idCardNumber: FACE_MISMATCH_NUMBER });
  await app.sandbox!.complete(started.data!.startVerification.certifyId, 'pass');
  const unfindable = await unfindableUser(app, 'stats-review');
  await gql(app, REQUEST_REVIEW, { id: unfindable.verificationId }, unfindable.token);
});
afterAll(async () => {
  await app?.stop();
});

describe('verificationStats', () => {
  it('counts starts, results by status and failure code, durations and the open review queue per bucket', async () => {
    const to = new Date(Date.now() + 60_000);
    const res = await gql(app, STATS, { from: new Date(startedAt.getTime() - 2 * 3_600_000).toISOString(), to: to.toISOString(), interval: 'HOUR' }, await operatorToken());
    expect(res.errors).toBeUndefined();
    const { buckets } = res.data!.verificationStats;
    expect(buckets.length).toBeGreaterThanOrEqual(3);
    const sum = (pick: (b: any) => number) => buckets.reduce((n: number, b: any) => n + pick(b), 0);
    const countOf = (list: { key: string; count: number }[], key: string) => list.find((x) => x.key === key)?.count ?? 0;
    expect(sum((b) => b.starts)).toBe(4);
    expect(sum((b) => countOf(b.byStatus, 'VERIFIED'))).toBe(2);
    expect(sum((b) => countOf(b.byStatus, 'FAILED'))).toBe(2);
    expect(sum((b) => countOf(b.byFailureCode, 'FACE_MISMATCH'))).toBe(1);
    expect(sum((b) => countOf(b.byFailureCode, 'IDENTITY_NOT_CONFIRMED'))).toBe(1);
    const busy = buckets.filter((b: any) => b.starts > 0);
    for (const b of busy) {
      expect(b.medianSeconds).toBeGreaterThanOrEqual(0);
      expect(b.p90Seconds).toBeGreaterThanOrEqual(b.medianSeconds);
    }
    const last = buckets.at(-1);
    expect(last.openReviewCases).toBe(1);
    expect(last.oldestOpenCaseAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(buckets[0].openReviewCases).toBe(0);
    expect(buckets[0].medianSeconds).toBeNull();
  });

  it('buckets by China days with DAY', async () => {
    const res = await gql(app, STATS, { from: '2026-11-01T00:00:00Z', to: '2026-11-03T00:00:00Z', interval: 'DAY' }, await operatorToken());
    expect(res.data!.verificationStats.buckets.map((b: any) => b.start)).toEqual(['2026-10-31T16:00:00.000Z', '2026-11-01T16:00:00.000Z', '2026-11-02T16:00:00.000Z']);
  });

  it('refuses an empty or an oversized range', async () => {
    const op = await operatorToken();
    for (const [from, to, interval] of [
      ['2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 'HOUR'],
      ['2020-01-01T00:00:00Z', '2026-11-01T00:00:00Z', 'HOUR'],
    ]) {
      expect((await gql(app, STATS, { from, to, interval }, op)).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('/metrics', () => {
  it('reports the review queue length and the age of its oldest case', async () => {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    expect(text).toMatch(/^realname_review_queue_length 1$/m);
    const age = Number(/^realname_review_oldest_case_age_seconds (\S+)$/m.exec(text)![1]);
    expect(age).toBeGreaterThanOrEqual(0);
  });
});
