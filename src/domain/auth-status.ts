import { renewableFrom, type RenewalPolicy } from './renewal.js';
import type { AuthStatus, VerificationStatus } from './verification-status.js';

/** How an identity was verified: by Aliyun (LIVE), by the emulator (SANDBOX), or by an operator's review (MANUAL). */
export type IdentityMode = 'LIVE' | 'SANDBOX' | 'MANUAL';

/**
 * A deployment's gate passes identities verified its own way, and those an operator approved: a
 * sandbox result never opens a LIVE gate (one database may have served a staging run first).
 */
export const passesGate = (identity: IdentityMode, deployment: 'LIVE' | 'SANDBOX') => identity === 'MANUAL' || identity === deployment;

/** The facts as this deployment's gate reads them: an identity it does not accept is no identity. */
export const factsForGate = (facts: StatusFacts, deployment: 'LIVE' | 'SANDBOX'): StatusFacts =>
  facts.identity && !passesGate(facts.identity.mode, deployment) ? { ...facts, identity: null } : facts;

/** `failures` failed verifications inside `windowSeconds` lock a user out of starting again. */
export interface LockoutPolicy {
  failures: number;
  windowSeconds: number;
}

/** What a user's status is decided from, read in one round trip (see gate.repository.ts). */
export interface StatusFacts {
  /** `documentType` is that of the verification behind the identity: it says whether a face check can renew it. */
  identity: { verifiedAt: Date; expiresAt: Date; verificationId: string; faceCheckedAt?: Date | null; mode: IdentityMode; documentType: string | null } | null;
  latest: { id: string; status: VerificationStatus } | null;
  /** Completion time of the `failures`-th newest failure since `failureWindowStart`, if there are that many. */
  nthFailureAt: Date | null;
  /** The account, or the number its identity is bound to, is on the denylist. */
  denied: boolean;
}

/** A user's real-name status at one instant: what the letter gate and the user read. */
export interface UserAuthStatus {
  userId: string;
  status: AuthStatus;
  isValid: boolean;
  verifiedAt: Date | null;
  expiresAt: Date | null;
  /** The held identity's last passed face check; null when none is held or a manual review bound it. */
  faceCheckedAt: Date | null;
  /** Whole days left, rounded down; 0 on the last day and for anything not valid. */
  daysRemaining: number;
  /** The verification behind a VERIFIED/EXPIRED status, else the latest attempt. */
  verificationId: string | null;
  lockedUntil: Date | null;
  /** When the held identity may be renewed (possibly already past); null when there is nothing to renew. */
  renewableFrom: Date | null;
  /** The renewal window is open now: `renewVerification` would start. */
  renewable: boolean;
}

/** The letter gate's answer: `reason` is the status when not passed. */
export interface IdentityCheck {
  passed: boolean;
  reason: AuthStatus | null;
  expiresAt: Date | null;
}

const DAY_MS = 86_400_000;

/**
 * The gate's answer. With `maxFaceCheckAgeDays` (a sensitive letter), a valid identity whose last
 * passed face check is more than that many days old at `now` is STEP_UP_REQUIRED; exactly that
 * old still passes.
 */
export function identityCheck(status: UserAuthStatus, now: Date, maxFaceCheckAgeDays?: number | null): IdentityCheck {
  const stale =
    maxFaceCheckAgeDays !== undefined &&
    maxFaceCheckAgeDays !== null &&
    (!status.faceCheckedAt || now.getTime() - status.faceCheckedAt.getTime() > maxFaceCheckAgeDays * DAY_MS);
  if (status.isValid && stale) return { passed: false, reason: 'STEP_UP_REQUIRED', expiresAt: status.expiresAt };
  return { passed: status.isValid, reason: status.isValid ? null : status.status, expiresAt: status.expiresAt };
}

/** Failures completed at or after this instant count towards a lockout at `now`. */
export const failureWindowStart = (policy: LockoutPolicy, now: Date) => new Date(now.getTime() - policy.windowSeconds * 1000);

/**
 * The lockout rule: with `failures` failures inside the window, locked until the oldest of them
 * (the `failures`-th newest) leaves it. Facts may have been read earlier than `now`, so a lock that
 * has run out since is no lock.
 */
export function lockedUntil(policy: LockoutPolicy, nthFailureAt: Date | null, now: Date): Date | null {
  if (!nthFailureAt) return null;
  const until = new Date(nthFailureAt.getTime() + policy.windowSeconds * 1000);
  return until >= now ? until : null;
}

/**
 * The status at `now` from facts read at or before it. Exact for any later `now` while no
 * transition happened (each one invalidates the gate cache): an identity expires by the clock, and
 * the `failures`-th newest failure inside the window when read stays inside it exactly until
 * lockedUntil, while fewer failures than that can only age out.
 */
export function stateFrom(userId: string, facts: StatusFacts, lockout: LockoutPolicy, now: Date, renewal?: RenewalPolicy): UserAuthStatus {
  const { identity, latest } = facts;
  const from = renewal ? renewableFrom(identity, renewal, now) : null;
  const base = { userId, verifiedAt: null, expiresAt: null, faceCheckedAt: null, daysRemaining: 0, lockedUntil: null, renewableFrom: from, renewable: from !== null && from <= now };
  if (facts.denied) return { ...base, status: 'DENIED', isValid: false, verificationId: identity?.verificationId ?? latest?.id ?? null, renewableFrom: null, renewable: false };
  if (identity && identity.expiresAt > now) {
    return {
      ...base,
      status: 'VERIFIED',
      isValid: true,
      verifiedAt: identity.verifiedAt,
      expiresAt: identity.expiresAt,
      faceCheckedAt: identity.faceCheckedAt ?? null,
      daysRemaining: Math.floor((identity.expiresAt.getTime() - now.getTime()) / DAY_MS),
      verificationId: identity.verificationId,
    };
  }
  const locked = lockedUntil(lockout, facts.nthFailureAt, now);
  const fromLatest = (status: AuthStatus): UserAuthStatus => ({
    ...base,
    status,
    isValid: false,
    verificationId: latest?.id ?? null,
    lockedUntil: locked,
  });
  if (locked) return fromLatest('LOCKED');
  if (latest && (latest.status === 'PENDING' || latest.status === 'PROCESSING')) return fromLatest('PENDING');
  if (identity) {
    return { ...fromLatest('EXPIRED'), verifiedAt: identity.verifiedAt, expiresAt: identity.expiresAt, verificationId: identity.verificationId };
  }
  if (latest?.status === 'FAILED') return fromLatest('FAILED');
  return fromLatest('UNVERIFIED');
}
