import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Actor } from '../domain/actor.js';
import { failureCodeOf } from '../domain/verification-status.js';
import { reviewRepository } from '../repositories/review.repository.js';
import { requireOperator } from './operator-audit.js';

export const STATS_INTERVALS = ['HOUR', 'DAY'] as const;
export type StatsInterval = (typeof STATS_INTERVALS)[number];

export interface StatsBucket {
  start: Date;
  end: Date;
  starts: number;
  byStatus: { key: string; count: number }[];
  byFailureCode: { key: string; count: number }[];
  medianSeconds: number | null;
  p90Seconds: number | null;
  providerErrors: number;
  openReviewCases: number;
  oldestOpenCaseAgeSeconds: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Days are China's (UTC+8, no daylight saving): the operators' working day. */
const CHINA_OFFSET_MS = 8 * HOUR_MS;
const MAX_BUCKETS = 1000;
/** Failures that say the provider or its source failed, not the person. Outages write no record at all. */
const PROVIDER_ERROR_CODES = ['SOURCE_ERROR', 'PROVIDER_REJECTED'];

/** The numbers at a glance: per bucket, what started, how it ended and how long it took, and the review queue. */
export class StatsService {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async verificationStats(actor: Actor, from: Date, to: Date, interval: StatsInterval): Promise<StatsBucket[]> {
    requireOperator(actor);
    const stepMs = interval === 'HOUR' ? HOUR_MS : DAY_MS;
    const start = floorTo(from, stepMs);
    if (!(to > from)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '结束时间须晚于开始时间');
    if ((to.getTime() - start.getTime()) / stepMs > MAX_BUCKETS) throw new DomainError(ErrorCode.BAD_USER_INPUT, `时间范围过大(最多 ${MAX_BUCKETS} 个区间)`);
    // Dates travel as ISO strings: the postgres.js driver takes no Date in a raw query.
    const step = `${stepMs / 1000} seconds`;
    const now = this.clock().toISOString();
    const inBucket = (column: string) => sql.raw(`v.${column} >= b.bucket_start and v.${column} < b.bucket_end`);
    const result = await this.db.execute(sql`
      with b0 as (
        select g as bucket_start, g + ${step}::interval as bucket_end
        from generate_series(${start.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz - interval '1 microsecond', ${step}::interval) g
      )
      select b.bucket_start, b.bucket_end,
        (select count(*)::int from verifications v where ${inBucket('created_at')} and v.mode <> 'MANUAL') as starts,
        (select coalesce(json_agg(json_build_object('key', s.status, 'count', s.n) order by s.status), '[]'::json)
           from (select v.status, count(*)::int n from verifications v where ${inBucket('completed_at')} group by v.status) s) as by_status,
        (select coalesce(json_agg(json_build_object('key', f.code, 'count', f.n) order by f.n desc, f.code), '[]'::json)
           from (select v.failure_code as code, count(*)::int n from verifications v
                 where ${inBucket('completed_at')} and v.status in ('FAILED', 'EXPIRED') and v.failure_code is not null group by v.failure_code) f) as by_failure_code,
        (select percentile_cont(0.5) within group (order by extract(epoch from v.completed_at - v.created_at))
           from verifications v where ${inBucket('completed_at')} and v.status in ('VERIFIED', 'FAILED') and v.mode <> 'MANUAL') as median_seconds,
        (select percentile_cont(0.9) within group (order by extract(epoch from v.completed_at - v.created_at))
           from verifications v where ${inBucket('completed_at')} and v.status in ('VERIFIED', 'FAILED') and v.mode <> 'MANUAL') as p90_seconds,
        (select count(*)::int from verifications v where ${inBucket('completed_at')}
           and v.failure_code in (${sql.join(PROVIDER_ERROR_CODES.map((c) => sql`${c}`), sql`, `)})) as provider_errors,
        (select count(*)::int from review_cases c
           where c.created_at < least(b.bucket_end, ${now}::timestamptz) and (c.decided_at is null or c.decided_at >= least(b.bucket_end, ${now}::timestamptz))) as open_review_cases,
        (select extract(epoch from least(b.bucket_end, ${now}::timestamptz) - min(c.created_at)) from review_cases c
           where c.created_at < least(b.bucket_end, ${now}::timestamptz) and (c.decided_at is null or c.decided_at >= least(b.bucket_end, ${now}::timestamptz))) as oldest_case_age
      from b0 b
      order by b.bucket_start
    `);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
    return rows.map((r) => ({
      start: new Date(r.bucket_start as string),
      end: new Date(r.bucket_end as string),
      starts: Number(r.starts),
      byStatus: parseJson(r.by_status),
      byFailureCode: underCurrentCodes(parseJson(r.by_failure_code)),
      medianSeconds: numberOrNull(r.median_seconds),
      p90Seconds: numberOrNull(r.p90_seconds),
      providerErrors: Number(r.provider_errors),
      openReviewCases: Number(r.open_review_cases),
      oldestOpenCaseAgeSeconds: numberOrNull(r.oldest_case_age),
    }));
  }

  /** For /metrics: the review queue's length and the age of its oldest case. */
  async reviewQueue(): Promise<{ open: number; oldestAgeSeconds: number }> {
    const { open, oldest } = await reviewRepository.queue(this.db);
    return { open, oldestAgeSeconds: oldest ? Math.max(0, (this.clock().getTime() - new Date(oldest).getTime()) / 1000) : 0 };
  }
}

function floorTo(at: Date, stepMs: number): Date {
  const offset = stepMs === DAY_MS ? CHINA_OFFSET_MS : 0;
  return new Date(Math.floor((at.getTime() + offset) / stepMs) * stepMs - offset);
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value) * 1000) / 1000);
/** Rows an earlier version wrote under a former code count with their successor's. */
function underCurrentCodes(counts: { key: string; count: number }[]) {
  const merged = new Map<string, number>();
  for (const { key, count } of counts) merged.set(failureCodeOf(key), (merged.get(failureCodeOf(key)) ?? 0) + count);
  return [...merged].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

const parseJson = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as { key: string; count: number }[];
