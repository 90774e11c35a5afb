import type { BenchOptions } from './options.js';
import type { Report } from './report.js';

export interface SeededDatabase {
  records: number;
  verifiedUsers: number;
  url: string;
  seedSeconds: number;
}

/** What every scenario gets: options, the report, a log line, and the seeded databases (smallest first). */
export interface BenchContext {
  options: BenchOptions;
  report: Report;
  log: (line: string) => void;
  databases: SeededDatabase[];
  /** Unique per harness run, so start-rate users never collide with an earlier run's. */
  runId: string;
  /** Scratch space (ignored by git and lint): the embedded DATA_DIR, raw CPU profiles. */
  workDir: string;
}

export function appEnvFor(ctx: BenchContext, db: SeededDatabase, extra: Record<string, string> = {}) {
  return { DATABASE_URL: db.url, REDIS_URL: ctx.options.redisUrl, REDIS_KEY_PREFIX: 'bench:', ...extra };
}
