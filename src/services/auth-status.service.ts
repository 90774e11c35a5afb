import type { Database } from '../db/database.js';
import { failureWindowStart, lockedUntil, stateFrom, type LockoutPolicy, type UserAuthStatus } from '../domain/auth-status.js';
import { gateFactsQuery, type GateFacts } from '../repositories/gate.repository.js';
import { GateCache } from './gate-cache.js';

/** The letter gate: is this user's identity verified and still valid right now? */
export class AuthStatusService {
  readonly #gateFacts;

  constructor(
    db: Database,
    private readonly lockout: LockoutPolicy,
    private readonly clock: () => Date,
    private readonly cache = new GateCache<GateFacts>(0, clock),
  ) {
    this.#gateFacts = gateFactsQuery(db);
  }

  /** Cached facts are safe to reuse: the state is derived from them afresh, against the clock, on every call. */
  async statusOf(userId: string): Promise<UserAuthStatus> {
    const facts = await this.cache.get(userId, () => this.#readFacts(userId));
    return stateFrom(userId, facts, this.lockout, this.clock());
  }

  /** Past this replica's cache, for a change it just made (other replicas drop theirs on the `userStatus` notice). */
  async currentStatusOf(userId: string): Promise<UserAuthStatus> {
    this.cache.invalidate(userId);
    return this.statusOf(userId);
  }

  /** Read past the cache: a start must see a failure that its change notice has not yet announced. */
  async lockedUntil(userId: string): Promise<Date | null> {
    const facts = await this.#readFacts(userId);
    return lockedUntil(this.lockout, facts.nthFailureAt, this.clock());
  }

  async #readFacts(userId: string): Promise<GateFacts> {
    // A string: placeholders skip the column's encoder, and the postgres.js driver takes no Date.
    const since = failureWindowStart(this.lockout, this.clock()).toISOString();
    const [facts] = await this.#gateFacts.execute({ userId, since, nthOffset: this.lockout.failures - 1 });
    return facts!;
  }
}
