import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewCases, verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { StatsService } from '../../src/services/stats.service.js';
import { startTestApp, type TestApp } from '../support/app.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 10:00 in Beijing on 10 March 2026: the hour the rows below fall in. */
const H0 = new Date('2026-03-10T02:00:00Z').getTime();
/** Forty minutes into the hour after H0's. */
const NOW = new Date(H0 + HOUR + 40 * MIN);
const alice: Actor = { kind: 'operator', operatorId: 'op-alice' };
const at = (ms: number) => new Date(ms);

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

type Mode = 'LIVE' | 'SANDBOX' | 'MANUAL';
type Status = 'PENDING' | 'VERIFIED' | 'FAILED' | 'EXPIRED' | 'CANCELED';
const attempt = (status: Status, mode: Mode, createdAt: number, completedAt: number | null, failureCode: string | null = null) => {
  const id = randomUUID();
  return { id, userId: `stats-${id}`, status, mode, outerOrderNo: id.replaceAll('-', ''), failureCode, createdAt: at(createdAt), updatedAt: at(completedAt ?? createdAt), expiresAt: at(createdAt + HOUR), completedAt: completedAt === null ? null : at(completedAt) };
};
const reviewCase = (status: 'OPEN' | 'APPROVED' | 'REJECTED', createdAt: number, decidedAt: number | null) => ({
  id: randomUUID(),
  userId: `case-${randomUUID()}`,
  failedVerificationId: randomUUID(),
  verificationId: randomUUID(),
  status,
  failureCode: 'NO_SUCH_IDENTITY',
  createdAt: at(createdAt),
  decidedAt: decidedAt === null ? null : at(decidedAt),
});

let app: TestApp;
let stats: StatsService;
beforeAll(async () => {
  app = await startTestApp();
  stats = new StatsService(app.db, () => NOW);
  await app.db.insert(verifications).values([
    // Durations of the automatic ones that ended VERIFIED or FAILED in H0's hour: 10, 20, 30, 40, 50 and 4 500 seconds.
    attempt('VERIFIED', 'LIVE', H0 + 10 * MIN, H0 + 10 * MIN + 10_000),
    attempt('VERIFIED', 'SANDBOX', H0 + 20 * MIN, H0 + 20 * MIN + 30_000),
    attempt('FAILED', 'LIVE', H0 + 30 * MIN, H0 + 30 * MIN + 50_000, 'FACE_MISMATCH'),
    attempt('FAILED', 'LIVE', H0 + 41 * MIN, H0 + 41 * MIN + 40_000, 'FACE_MISMATCH'),
    attempt('FAILED', 'LIVE', H0 + 40 * MIN, H0 + 40 * MIN + 20_000, 'SOURCE_ERROR'),
    // Started the hour before, ended in H0's.
    attempt('FAILED', 'LIVE', H0 - 30 * MIN, H0 + 45 * MIN, 'PROVIDER_REJECTED'),
    // Ended, but neither VERIFIED nor FAILED: no duration; EXPIRED counts among the failure codes, CANCELED does not.
    attempt('EXPIRED', 'LIVE', H0 + 5 * MIN, H0 + 50 * MIN, 'ABANDONED'),
    attempt('CANCELED', 'LIVE', H0 + 2 * MIN, H0 + 3 * MIN, 'SUPERSEDED'),
    // A review's verification: no start, no duration, but its result counts.
    attempt('VERIFIED', 'MANUAL', H0 + 1 * MIN, H0 + 15 * MIN),
    attempt('PENDING', 'LIVE', H0 + 55 * MIN, null),
  ]);
  await app.db.insert(reviewCases).values([
    reviewCase('OPEN', H0 - 2 * HOUR, null),
    reviewCase('APPROVED', H0 + 10 * MIN, H0 + 30 * MIN),
    reviewCase('REJECTED', H0 + 20 * MIN, H0 + HOUR + 30 * MIN),
    reviewCase('OPEN', H0 + HOUR + 10 * MIN, null),
  ]);
});
afterAll(async () => {
  await app?.stop();
});

describe('verificationStats', () => {
  it('is for operators only, FORBIDDEN', async () => {
    for (const actor of [{ kind: 'user', userId: 'u' }, { kind: 'service', subject: 'letter-backend' }] as const) {
      expect(await codeOf(stats.verificationStats(actor, at(H0), at(H0 + HOUR), 'HOUR'))).toBe('FORBIDDEN');
    }
  });

  it('gives one bucket per hour from the hour `from` falls in up to `to`', async () => {
    const buckets = await stats.verificationStats(alice, at(H0 - HOUR + 17 * MIN), at(H0 + 2 * HOUR), 'HOUR');
    expect(buckets.map((b) => [b.start.getTime(), b.end.getTime()])).toEqual([
      [H0 - HOUR, H0],
      [H0, H0 + HOUR],
      [H0 + HOUR, H0 + 2 * HOUR],
    ]);
  });

  it('counts automatic starts by when they began, results by when they ended', async () => {
    const [before, hour, after] = await stats.verificationStats(alice, at(H0 - HOUR), at(H0 + 2 * HOUR), 'HOUR');
    expect(before).toMatchObject({ starts: 1, byStatus: [], byFailureCode: [], providerErrors: 0, medianSeconds: null, p90Seconds: null });
    expect(hour!.starts).toBe(8);
    expect(hour!.byStatus).toEqual([
      { key: 'CANCELED', count: 1 },
      { key: 'EXPIRED', count: 1 },
      { key: 'FAILED', count: 4 },
      { key: 'VERIFIED', count: 3 },
    ]);
    expect(after).toMatchObject({ starts: 0, byStatus: [], providerErrors: 0 });
  });

  it('lists the failure codes of FAILED and EXPIRED results, most frequent first, then by code', async () => {
    const [, hour] = await stats.verificationStats(alice, at(H0 - HOUR), at(H0 + HOUR), 'HOUR');
    expect(hour!.byFailureCode).toEqual([
      { key: 'FACE_MISMATCH', count: 2 },
      { key: 'ABANDONED', count: 1 },
      { key: 'PROVIDER_REJECTED', count: 1 },
      { key: 'SOURCE_ERROR', count: 1 },
    ]);
  });

  it('counts the failures that were the provider’s or its source’s', async () => {
    const [, hour] = await stats.verificationStats(alice, at(H0 - HOUR), at(H0 + HOUR), 'HOUR');
    expect(hour!.providerErrors).toBe(2);
  });

  it('gives the median and 90th percentile of automatic attempts that ended VERIFIED or FAILED', async () => {
    const [, hour] = await stats.verificationStats(alice, at(H0 - HOUR), at(H0 + HOUR), 'HOUR');
    // 10, 20, 30, 40, 50, 4 500: the median between 30 and 40; the 90th percentile half way from 50 to 4 500.
    expect(hour).toMatchObject({ medianSeconds: 35, p90Seconds: 2275 });
  });

  it('rounds durations to the millisecond', async () => {
    const start = H0 + 72 * HOUR;
    await app.db.insert(verifications).values(attempt('VERIFIED', 'LIVE', start, start + 1234));
    const [bucket] = await stats.verificationStats(alice, at(start), at(start + HOUR), 'HOUR');
    expect(bucket).toMatchObject({ medianSeconds: 1.234, p90Seconds: 1.234 });
  });

  it('counts the review cases open at the end of each bucket, or now for the current one, with the oldest one’s age', async () => {
    const [before, hour, current] = await stats.verificationStats(alice, at(H0 - HOUR), at(H0 + 2 * HOUR), 'HOUR');
    expect(before).toMatchObject({ openReviewCases: 1, oldestOpenCaseAgeSeconds: 2 * 3600 });
    // The rejected case was still open at the hour's end; the approved one was not.
    expect(hour).toMatchObject({ openReviewCases: 2, oldestOpenCaseAgeSeconds: 3 * 3600 });
    // Now (forty minutes in): the rejected case is decided, the newest one open.
    expect(current).toMatchObject({ openReviewCases: 2, oldestOpenCaseAgeSeconds: 3 * 3600 + 40 * 60 });
  });

  it('has no oldest age when no case was open', async () => {
    const [bucket] = await stats.verificationStats(alice, at(H0 - 5 * HOUR), at(H0 - 4 * HOUR), 'HOUR');
    expect(bucket).toMatchObject({ openReviewCases: 0, oldestOpenCaseAgeSeconds: null });
  });

  it('buckets DAY by China days, midnight in Beijing being 16:00 UTC', async () => {
    const buckets = await stats.verificationStats(alice, new Date('2026-03-10T12:00:00Z'), new Date('2026-03-11T00:00:00Z'), 'DAY');
    expect(buckets.map((b) => [b.start.toISOString(), b.end.toISOString()])).toEqual([
      ['2026-03-09T16:00:00.000Z', '2026-03-10T16:00:00.000Z'],
      ['2026-03-10T16:00:00.000Z', '2026-03-11T16:00:00.000Z'],
    ]);
    expect(buckets[0]!.starts).toBe(9);
  });

  it('starts a DAY bucket at Beijing midnight even when `from` is past 16:00 UTC', async () => {
    const [bucket] = await stats.verificationStats(alice, new Date('2026-03-10T17:00:00Z'), new Date('2026-03-10T18:00:00Z'), 'DAY');
    expect(bucket!.start.toISOString()).toBe('2026-03-10T16:00:00.000Z');
  });

  it('refuses a range that ends before or when it starts', async () => {
    expect(await codeOf(stats.verificationStats(alice, at(H0), at(H0), 'HOUR'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(stats.verificationStats(alice, at(H0), at(H0 - 1), 'DAY'))).toBe('BAD_USER_INPUT');
  });

  it('takes up to 1000 buckets', async () => {
    expect(await stats.verificationStats(alice, at(H0), at(H0 + 1000 * HOUR), 'HOUR')).toHaveLength(1000);
    expect(await codeOf(stats.verificationStats(alice, at(H0), at(H0 + 1000 * HOUR + 1), 'HOUR'))).toBe('BAD_USER_INPUT');
    // Counted from the start of the first bucket, not from `from`.
    expect(await codeOf(stats.verificationStats(alice, at(H0 + 30 * MIN), at(H0 + 1000 * HOUR + 15 * MIN), 'HOUR'))).toBe('BAD_USER_INPUT');
    expect(await stats.verificationStats(alice, new Date('2026-03-10T12:00:00Z'), new Date(new Date('2026-03-09T16:00:00Z').getTime() + 1000 * 24 * HOUR), 'DAY')).toHaveLength(1000);
  });
});

describe('reviewQueue', () => {
  it('counts the open cases and the age of the oldest', async () => {
    expect(await stats.reviewQueue()).toEqual({ open: 2, oldestAgeSeconds: 3 * 3600 + 40 * 60 });
  });

  it('never reports a negative age', async () => {
    const early = new StatsService(app.db, () => at(H0 - 3 * HOUR));
    expect(await early.reviewQueue()).toEqual({ open: 2, oldestAgeSeconds: 0 });
  });
});
