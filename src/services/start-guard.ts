import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { addressKey } from '../domain/client-address.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { AuthStatusService } from './auth-status.service.js';
import type { RequestMeta } from '../domain/application.js';

/** What must hold before a start reaches the provider: the lockout and the rate limits. */
export interface StartGuard {
  check(userId: string, idNumberIndex: string, meta: RequestMeta): Promise<void>;
}

export interface StartLimits {
  perUser: number;
  perIp: number;
  perIdNumber: number;
  windowSeconds: number;
}

/**
 * Before a start may reach the provider (each call costs money and tells an attacker whether a
 * name matches a number): the lockout first, then three budgets — per user, per client IP and per
 * ID number (by its blind index, never the number). With Redis the budgets are shared by every
 * replica; if Redis fails, each replica falls back to its own in-process budget rather than
 * refusing everyone or letting everyone through. While the connection is down that fallback answers
 * at once, instead of each start waiting out ioredis's reconnect attempts first.
 */
export function createStartGuard(
  authStatus: Pick<AuthStatusService, 'lockedUntil'>,
  limits: StartLimits,
  redis?: { client: Redis; prefix: string },
  clock: () => Date = () => new Date(),
): StartGuard {
  const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const options = { keyPrefix: `${redis?.prefix ?? ''}rl:start:${keyPrefix}`, points, duration: limits.windowSeconds };
    if (!redis) return new RateLimiterMemory(options);
    return new RateLimiterRedis({ ...options, storeClient: redis.client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) });
  };
  const budgets = [
    { limiter: limiter('user', limits.perUser), key: (userId: string) => userId },
    { limiter: limiter('ip', limits.perIp), key: (_: string, meta: RequestMeta) => meta.clientIp && addressKey(meta.clientIp) },
    { limiter: limiter('id', limits.perIdNumber), key: (_: string, meta: RequestMeta, index: string) => index },
  ];

  return {
    async check(userId, idNumberIndex, meta) {
      const lockedUntil = await authStatus.lockedUntil(userId);
      if (lockedUntil) {
        throw new DomainError(ErrorCode.LOCKED, undefined, {
          retryAfter: Math.max(1, Math.ceil((lockedUntil.getTime() - clock().getTime()) / 1000)),
          lockedUntil: lockedUntil.toISOString(),
        });
      }
      for (const budget of budgets) {
        const key = budget.key(userId, meta, idNumberIndex);
        if (!key) continue;
        try {
          await budget.limiter.consume(key);
        } catch (refusal) {
          if (!(refusal instanceof RateLimiterRes)) throw refusal;
          throw new DomainError(ErrorCode.RATE_LIMITED, undefined, { retryAfter: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) });
        }
      }
    },
  };
}
