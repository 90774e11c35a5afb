import type { Database } from '../db/database.js';
import { subjectOf, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { factsForGate, failureWindowStart, identityCheck, lockedUntil, stateFrom, type IdentityCheck, type LockoutPolicy, type UserAuthStatus } from '../domain/auth-status.js';
import type { RenewalPolicy } from '../domain/renewal.js';
import type { ProviderMode } from '../providers/provider.js';
import { gateFactsQuery, type GateFacts } from '../repositories/gate.repository.js';
import type { AccessLog } from './access-log.js';
import { GateCache } from './gate-cache.js';

export interface AuthStatusServiceDeps {
  db: Database;
  lockout: LockoutPolicy;
  renewal: RenewalPolicy;
  /** This deployment's provider mode: its gate passes identities of that mode and MANUAL ones. */
  mode: ProviderMode;
  clock: () => Date;
  accessLog: AccessLog;
  cache?: GateCache<GateFacts>;
}

/** The letter gate: is this user's identity verified and still valid right now? */
export class AuthStatusService {
  readonly #gateFacts;
  private readonly lockout;
  private readonly renewal;
  private readonly mode;
  private readonly clock;
  private readonly accessLog;
  private readonly cache;

  constructor(deps: AuthStatusServiceDeps) {
    ({ lockout: this.lockout, renewal: this.renewal, mode: this.mode, clock: this.clock, accessLog: this.accessLog } = deps);
    this.cache = deps.cache ?? new GateCache<GateFacts>(0, deps.clock);
    this.#gateFacts = gateFactsQuery(deps.db);
  }

  /** `userAuthStatus`: a service's read leaves its access event before the answer leaves. */
  async statusFor(actor: Actor, userId: string | null | undefined): Promise<UserAuthStatus> {
    const subject = subjectOf(actor, userId);
    const [status] = await Promise.all([this.statusOf(subject), this.accessLog.serviceRead(actor, subject, 'userAuthStatus')]);
    return status;
  }

  /** `verifyIdentity`, the gate before each letter; `maxFaceCheckAgeDays` asks for a recent face check. */
  async checkIdentity(actor: Actor, userId: string | null | undefined, maxFaceCheckAgeDays?: number | null): Promise<IdentityCheck> {
    const subject = subjectOf(actor, userId);
    if (maxFaceCheckAgeDays != null && !(Number.isInteger(maxFaceCheckAgeDays) && maxFaceCheckAgeDays >= 0)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'maxFaceCheckAgeDays 须为不小于 0 的整数');
    }
    const [status] = await Promise.all([this.statusOf(subject), this.accessLog.serviceRead(actor, subject, 'verifyIdentity')]);
    return identityCheck(status, this.clock(), maxFaceCheckAgeDays);
  }

  /** Cached facts are safe to reuse: the state is derived from them afresh, against the clock, on every call. */
  async statusOf(userId: string): Promise<UserAuthStatus> {
    const facts = await this.cache.get(userId, () => this.#readFacts(userId));
    return stateFrom(userId, factsForGate(facts, this.mode), this.lockout, this.clock(), this.renewal);
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
