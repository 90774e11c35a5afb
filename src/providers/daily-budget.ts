import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { ProviderError, type FaceVerifyProvider } from './provider.js';

/** Counts provider calls per day: in Redis across replicas, in process when embedded. */
export interface CallCounter {
  /** Adds `n` (may be negative) to `day`'s count and returns the new count. */
  add(day: string, n: number): Promise<number>;
}

export function memoryCallCounter(): CallCounter {
  const counts = new Map<string, number>();
  return {
    async add(day, n) {
      for (const old of counts.keys()) if (old < day) counts.delete(old);
      const count = (counts.get(day) ?? 0) + n;
      counts.set(day, count);
      return count;
    },
  };
}

/** One key per day (kept two days), INCRBY being atomic across replicas; in process while Redis is away. */
export function redisCallCounter(redis: Redis, prefix: string): CallCounter {
  const fallback = memoryCallCounter();
  return {
    async add(day, n) {
      const key = `${prefix}provider:calls:${day}`;
      try {
        const [[, count]] = (await redis.multi().incrby(key, n).expire(key, 2 * 86_400).exec()) as [[unknown, number]];
        return count;
      } catch {
        return fallback.add(day, n);
      }
    },
  };
}

export interface DailyBudgetOptions {
  limit: number;
  counter: CallCounter;
  clock: () => Date;
  log: Logger;
  /** Told the day's count and the limit after every call. */
  report: (used: number, limit: number) => void;
}

/** Aliyun bills by the Beijing day. */
const beijingDay = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * Aliyun bills every call and offers no hard cap, so a day's calls are capped here
 * (PROVIDER_DAILY_BUDGET). Past the cap a start's calls (ContrastFaceVerify's too) are refused as an outage — the start answers
 * PROVIDER_UNAVAILABLE and writes nothing — with an error line an alert can watch. DescribeFaceVerify
 * is counted but never refused: verifications already under way must still be settled.
 */
export function withDailyBudget(provider: FaceVerifyProvider, options: DailyBudgetOptions): FaceVerifyProvider {
  const { limit, counter, clock, log, report } = options;
  const charge = async () => {
    const day = beijingDay(clock());
    const used = await counter.add(day, 1);
    if (used > limit) {
      const counted = await counter.add(day, -1);
      report(counted, limit);
      log.error({ used: counted, limit }, 'provider daily budget exhausted: starts refused (PROVIDER_DAILY_BUDGET)');
      throw new ProviderError('unavailable', 'DAILY_BUDGET', 'the provider daily budget is exhausted');
    }
    report(used, limit);
  };
  return {
    mode: provider.mode,
    async checkIdentity(name, idCardNumber) {
      await charge();
      return provider.checkIdentity(name, idCardNumber);
    },
    async initFaceVerify(input) {
      await charge();
      return provider.initFaceVerify(input);
    },
    async contrastFaceVerify(input) {
      await charge();
      return provider.contrastFaceVerify(input);
    },
    async describeFaceVerify(certifyId) {
      report(await counter.add(beijingDay(clock()), 1), limit);
      return provider.describeFaceVerify(certifyId);
    },
  };
}
