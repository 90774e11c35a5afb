import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../domain/errors.js';

export type PersonalDataAction = 'export' | 'delete';

/** Charges one use of `action` to `userId`; RATE_LIMITED with retryAfter beyond the budget. */
export type PersonalDataLimiter = (userId: string, action: PersonalDataAction) => Promise<void>;

/**
 * Each export and erasure takes the audit chain's lock and decrypts or rewrites everything a user
 * has: a per-user budget per window keeps one account from queueing everyone else behind it.
 * Shared through Redis by every replica, in process when embedded or while Redis is away.
 */
export function createPersonalDataLimiter(limits: { perUser: number; windowSeconds: number }, redis?: { client: Redis; prefix: string }): PersonalDataLimiter {
  const limiters = new Map(
    (['export', 'delete'] as const).map((action) => {
      const options = { keyPrefix: `${redis?.prefix ?? ''}rl:personal-data:${action}`, points: limits.perUser, duration: limits.windowSeconds };
      const limiter = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis.client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      return [action, limiter] as const;
    }),
  );
  return async (userId, action) => {
    try {
      await limiters.get(action)!.consume(userId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw new DomainError(ErrorCode.RATE_LIMITED, undefined, { retryAfter: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) });
    }
  };
}
