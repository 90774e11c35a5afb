import type { Database } from '../db/database.js';
import type { AuthStatus } from '../domain/verification-status.js';
import { gateFactsQuery, type GateFacts } from '../repositories/gate.repository.js';
import { verificationRepository } from '../repositories/verification.repository.js';
import { GateCache } from './gate-cache.js';

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
  readonly #gateFacts;

  constructor(
    private readonly db: Database,
    private readonly lockout: LockoutPolicy,
    private readonly clock: () => Date,
    private readonly cache = new GateCache<GateFacts>(0, clock),
  ) {
    this.#gateFacts = gateFactsQuery(db);
  }

  /** Cached facts are safe to reuse: the state is derived from them afresh, against the clock, on every call. */
  async statusOf(userId: string): Promise<UserAuthState> {
    const facts = await this.cache.get(userId, () => this.#readFacts(userId));
    return stateFrom(userId, facts, this.lockout, this.clock());
  }

  /** After `failures` failed verifications inside the window, locked until the last of them ages out. */
  async lockedUntil(userId: string, now = this.clock()): Promise<Date | null> {
    const windowMs = this.lockout.windowSeconds * 1000;
    const recent = await verificationRepository.recentFailures(this.db, userId, new Date(now.getTime() - windowMs), this.lockout.failures);
    if (recent.length < this.lockout.failures) return null;
    return new Date(recent[recent.length - 1]!.getTime() + windowMs);
  }

  async #readFacts(userId: string): Promise<GateFacts> {
    // A string: placeholders skip the column's encoder, and the postgres.js driver takes no Date.
    const since = new Date(this.clock().getTime() - this.lockout.windowSeconds * 1000).toISOString();
    const [facts] = await this.#gateFacts.execute({ userId, since, nthOffset: this.lockout.failures - 1 });
    return facts!;
  }
}

/**
 * The status at `now` from facts read at or before it. Exact for any later `now` while no
 * transition happened (each one invalidates the cache): an identity expires by the clock, and the
 * `failures`-th newest failure inside the window when read stays inside it exactly until
 * lockedUntil, while fewer failures than that can only age out.
 */
export function stateFrom(userId: string, facts: GateFacts, lockout: LockoutPolicy, now: Date): UserAuthState {
  const { identity, latest } = facts;
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
  const until = facts.nthFailureAt && new Date(facts.nthFailureAt.getTime() + lockout.windowSeconds * 1000);
  const lockedUntil = until && until >= now ? until : null;
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
