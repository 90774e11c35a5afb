import type { Database } from '../db/database.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { AuthStatus } from '../domain/verification-status.js';
import type { Actor } from '../http/auth.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { verificationRepository } from '../repositories/verification.repository.js';

export interface UserAuthState {
  userId: string;
  status: AuthStatus;
  isValid: boolean;
  verifiedAt: Date | null;
  expiresAt: Date | null;
  /** Whole days left, rounded down; 0 on the last day and for anything not valid. */
  daysRemaining: number;
  /** The verification behind a VERIFIED/EXPIRED status, else the latest attempt. */
  verificationId: string | null;
  lockedUntil: Date | null;
}

export interface LockoutPolicy {
  failures: number;
  windowSeconds: number;
}

const DAY_MS = 86_400_000;

/** The letter gate: is this user's identity verified and still valid right now? */
export class AuthStatusService {
  constructor(
    private readonly db: Database,
    private readonly lockout: LockoutPolicy,
    private readonly clock: () => Date,
  ) {}

  /** End users may only ask about themselves; a service may ask about anyone. */
  resolveSubject(actor: Actor, userId: string | null | undefined): string {
    if (actor.kind === 'service') {
      if (!userId) throw new DomainError(ErrorCode.BAD_USER_INPUT, '服务调用须指定 userId');
      return userId;
    }
    if (userId && userId !== actor.userId) throw new DomainError(ErrorCode.FORBIDDEN);
    return actor.userId;
  }

  async statusOf(userId: string): Promise<UserAuthState> {
    const now = this.clock();
    const [identity, latest] = await Promise.all([
      identityRepository.byUser(this.db, userId),
      verificationRepository.latestForUser(this.db, userId),
    ]);
    const base = { userId, verifiedAt: null, expiresAt: null, daysRemaining: 0, lockedUntil: null };
    if (identity && identity.expiresAt > now) {
      return {
        ...base,
        status: 'VERIFIED',
        isValid: true,
        verifiedAt: identity.verifiedAt,
        expiresAt: identity.expiresAt,
        daysRemaining: Math.floor((identity.expiresAt.getTime() - now.getTime()) / DAY_MS),
        verificationId: identity.verificationId,
      };
    }
    const lockedUntil = await this.lockedUntil(userId, now);
    const fromLatest = (status: AuthStatus): UserAuthState => ({
      ...base,
      status,
      isValid: false,
      verificationId: latest?.id ?? null,
      lockedUntil,
    });
    if (lockedUntil) return fromLatest('LOCKED');
    if (latest && (latest.status === 'PENDING' || latest.status === 'PROCESSING')) return fromLatest('PENDING');
    if (identity) {
      return { ...fromLatest('EXPIRED'), verifiedAt: identity.verifiedAt, expiresAt: identity.expiresAt, verificationId: identity.verificationId };
    }
    if (latest?.status === 'FAILED') return fromLatest('FAILED');
    return fromLatest('UNVERIFIED');
  }

  /** After `failures` failed verifications inside the window, locked until the last of them ages out. */
  async lockedUntil(userId: string, now = this.clock()): Promise<Date | null> {
    const windowMs = this.lockout.windowSeconds * 1000;
    const recent = await verificationRepository.recentFailures(this.db, userId, new Date(now.getTime() - windowMs), this.lockout.failures);
    if (recent.length < this.lockout.failures) return null;
    return new Date(recent[recent.length - 1]!.getTime() + windowMs);
  }
}
