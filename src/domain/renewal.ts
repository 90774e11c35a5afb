import { isDocumentType } from './documents.js';
import { DomainError, ErrorCode } from './errors.js';

/** IDENTITY_RENEWAL_DAYS before an identity's expiry, until IDENTITY_RENEWAL_GRACE_DAYS after it (when it is purged). */
export interface RenewalPolicy {
  renewalDays: number;
  graceDays: number;
}

/** What a face check against the held identity is for: a new lifetime, or only a fresh face check. */
export type HeldIdentityPurpose = 'RENEWAL' | 'STEP_UP';

/** The held identity as renewal and step-up see it: when it ends, and the document behind it (null when its record is gone). */
export interface HeldIdentity {
  expiresAt: Date;
  documentType: string | null;
}

/**
 * Whether the held identity can take an online face check, for a renewal or a step-up: Aliyun
 * compares the face with the source photo of a document it verifies online, and has none for a
 * document only a manual review takes.
 */
export const faceCheckable = (identity: HeldIdentity) => identity.documentType !== null && isDocumentType(identity.documentType);

const NO_FACE_CHECK = '您的证件无法在线刷脸核验;实名认证到期后,请重新申请其他证件人工审核';

const DAY_MS = 86_400_000;

const shanghaiDate = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });

/** When the held identity may be renewed, or null when there is nothing to renew (none held, no face check for it, or past its grace). */
export function renewableFrom(identity: HeldIdentity | null | undefined, policy: RenewalPolicy, now: Date): Date | null {
  if (!identity || !faceCheckable(identity)) return null;
  const purgedAt = identity.expiresAt.getTime() + policy.graceDays * DAY_MS;
  if (now.getTime() >= purgedAt) return null;
  return new Date(identity.expiresAt.getTime() - policy.renewalDays * DAY_MS);
}

/**
 * Whether a face check against the held identity may start now; throws the refusal a user can act
 * on. Either needs an identity a face check can confirm; a renewal needs its window open; a step-up
 * needs an identity still valid (an expired one is renewed, not stepped up).
 */
export function checkHeldIdentity(purpose: HeldIdentityPurpose, identity: HeldIdentity | null | undefined, policy: RenewalPolicy, now: Date): void {
  if (identity && !faceCheckable(identity)) throw new DomainError(ErrorCode.BAD_USER_INPUT, NO_FACE_CHECK);
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
