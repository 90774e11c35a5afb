import { DomainError, ErrorCode } from './errors.js';

/** IDENTITY_RENEWAL_DAYS before an identity's expiry, until IDENTITY_RENEWAL_GRACE_DAYS after it (when it is purged). */
export interface RenewalPolicy {
  renewalDays: number;
  graceDays: number;
}

/** What a face check against the held identity is for: a new lifetime, or only a fresh face check. */
export type HeldIdentityPurpose = 'RENEWAL' | 'STEP_UP';

const DAY_MS = 86_400_000;

const shanghaiDate = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });

/** When the held identity may be renewed, or null when there is nothing to renew (none held, or past its grace). */
export function renewableFrom(identity: { expiresAt: Date } | null | undefined, policy: RenewalPolicy, now: Date): Date | null {
  if (!identity) return null;
  const purgedAt = identity.expiresAt.getTime() + policy.graceDays * DAY_MS;
  if (now.getTime() >= purgedAt) return null;
  return new Date(identity.expiresAt.getTime() - policy.renewalDays * DAY_MS);
}

/**
 * Whether a face check against the held identity may start now; throws the refusal a user can act
 * on. A renewal needs its window open; a step-up needs an identity still valid (an expired one is
 * renewed, not stepped up).
 */
export function checkHeldIdentity(purpose: HeldIdentityPurpose, identity: { expiresAt: Date } | null | undefined, policy: RenewalPolicy, now: Date): void {
  if (purpose === 'STEP_UP') {
    if (!identity) throw new DomainError(ErrorCode.NOT_FOUND, '您还没有完成实名认证,请先进行实名认证');
    if (identity.expiresAt <= now) throw new DomainError(ErrorCode.NOT_FOUND, '您的实名认证已过期,请先续期');
    return;
  }
  const from = renewableFrom(identity, policy, now);
  if (!from) throw new DomainError(ErrorCode.NOT_FOUND, '没有可续期的实名认证,请重新进行实名认证');
  if (now < from) {
    throw new DomainError(ErrorCode.RENEWAL_NOT_OPEN, `尚未到续期时间,可于${shanghaiDate.format(from)}起续期`, { renewableFrom: from.toISOString() });
  }
}
