import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { Database } from '../db/database.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { ReviewDocumentType } from '../domain/documents.js';
import { operatorReason } from '../domain/review.js';
import { pageSize, takePage } from '../domain/page.js';
import type { Actor } from '../domain/actor.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { denylistRepository } from '../repositories/denylist.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { operatorRepository } from '../repositories/operator.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { UserAuthStatus } from '../domain/auth-status.js';
import type { AuthStatusService } from './auth-status.service.js';
import type { AuditChain, AuditDetail } from './audit-log.js';
import { checkUserId } from './denylist.service.js';
import { auditOperatorAction, requireOperator, type Operator } from './operator-audit.js';
import type { PersonalDataVault } from './vault.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface RevealLimit {
  perOperator: number;
  windowSeconds: number;
}

export interface SupportServiceDeps {
  db: Database;
  vault: PersonalDataVault;
  blindIndex: BlindIndex;
  authStatus: AuthStatusService;
  bus: EventBus;
  audit: AuditChain;
  outbox: WebhookOutbox;
  revealLimit: RevealLimit;
  /** Shares the reveal limit across replicas; without it each replica counts alone. */
  redis: { client: Redis; prefix: string } | undefined;
  clock: () => Date;
  log: Logger;
}

export interface AdminUserFacts {
  userId: string;
  state: UserAuthStatus;
  deniedReason: string | null;
  identityVerificationId: string | null;
  attempts: VerificationRow[];
  consents: { version: string; biometric: boolean; purpose: string; acceptedAt: Date }[];
}

export interface RevealedIdentity {
  userId: string;
  verificationId: string;
  realName: string;
  idCardNumber: string;
}

/**
 * What support staff need to answer "why can't I send a letter?": one person's whole picture, the
 * accounts holding a number, a lockout lifted, a stolen identity released. Every call leaves an
 * event with the operator and their reason in each concerned person's audit trail.
 */
export class SupportService {
  readonly #revealLimiter: RateLimiterAbstract;
  private readonly db;
  private readonly vault;
  private readonly blindIndex;
  private readonly authStatus;
  private readonly bus;
  private readonly audit;
  private readonly outbox;
  private readonly clock;
  private readonly log;

  constructor({ revealLimit, redis, ...deps }: SupportServiceDeps) {
    ({ db: this.db, vault: this.vault, blindIndex: this.blindIndex, authStatus: this.authStatus, bus: this.bus, audit: this.audit, outbox: this.outbox, clock: this.clock, log: this.log } = deps);
    const options = { keyPrefix: `${redis?.prefix ?? ''}rl:reveal`, points: revealLimit.perOperator, duration: revealLimit.windowSeconds };
    this.#revealLimiter = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis.client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
  }

  async adminUser(actor: Actor, rawUserId: string, rawReason?: string | null): Promise<AdminUserFacts> {
    const operator = requireOperator(actor);
    const userId = checkUserId(rawUserId);
    const [state, attempts, consents, identity, denied] = await Promise.all([
      this.authStatus.currentStatusOf(userId),
      verificationRepository.allForUser(this.db, userId),
      consentRepository.allForUser(this.db, userId),
      identityRepository.byUser(this.db, userId),
      denylistRepository.find(this.db, 'USER', userId),
    ]);
    await this.auditRead(operator, 'read_user', userId, rawReason ? operatorReason(rawReason) : '查看用户详情', {});
    return {
      userId,
      state,
      deniedReason: denied?.reason ?? (state.status === 'DENIED' ? '证件号码已被列入禁止名单' : null),
      identityVerificationId: identity?.verificationId ?? null,
      attempts: attempts.reverse(),
      consents: consents.map(({ version, biometric, purpose, acceptedAt }) => ({ version, biometric, purpose, acceptedAt })),
    };
  }

  /** Newest first; only reachable under `adminUser`, whose read is already audited. */
  async auditTrail(userId: string, first: number, after: string | null): Promise<{ events: { seq: string; at: Date; actor: string; action: string; verificationId: string | null; detail: AuditDetail }[]; hasNextPage: boolean; endCursor: string | null }> {
    const before = after ? Number(after) : undefined;
    if (before !== undefined && !Number.isSafeInteger(before)) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'after 游标无效');
    const page = takePage(await operatorRepository.auditPage(this.db, userId, before, pageSize(first, 200) + 1), first);
    const events = page.rows.map((e) => ({ seq: String(e.seq), at: e.at, actor: e.actor, action: e.action, verificationId: e.verificationId, detail: e.detail }));
    return { events, hasNextPage: page.hasNextPage, endCursor: events.at(-1)?.seq ?? null };
  }

  /** The only way an operator sees a full name and number: rate-limited per operator, audited with the reason. */
  async revealIdentity(actor: Actor, rawUserId: string, rawReason: string): Promise<RevealedIdentity> {
    const operator = requireOperator(actor);
    const userId = checkUserId(rawUserId);
    const reason = operatorReason(rawReason);
    try {
      await this.#revealLimiter.consume(operator.operatorId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw new DomainError(ErrorCode.RATE_LIMITED, '查看完整身份信息过于频繁,请稍后再试', { retryAfter: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) });
    }
    const identity = await identityRepository.byUser(this.db, userId);
    const row = identity ? await verificationRepository.byId(this.db, identity.verificationId) : await verificationRepository.latestForUser(this.db, userId);
    if (!row) throw nothingToReveal();
    const [realName, idCardNumber] = await this.vault.openText(userId, [
      { aad: { table: 'verifications', column: 'name_cipher', rowId: row.id }, sealed: row.nameCipher },
      { aad: { table: 'verifications', column: 'id_number_cipher', rowId: row.id }, sealed: row.idNumberCipher },
    ]);
    if (!realName || !idCardNumber) throw nothingToReveal();
    await this.auditRead(operator, 'reveal_identity', userId, reason, {}, row.id);
    return { userId, verificationId: row.id, realName, idCardNumber };
  }

  /** Which accounts hold a number (bound, then those that only tried it), through the blind index. */
  async findAccountsByIdNumber(actor: Actor, idCardNumber: string, rawReason: string, documentType?: ReviewDocumentType | null): Promise<string[]> {
    const operator = requireOperator(actor);
    const reason = operatorReason(rawReason);
    const index = this.blindIndex.ofDocument(idCardNumber, documentType);
    const { bound, tried } = await operatorRepository.accountsByIndex(this.db, index);
    const accounts = [...new Set([...bound, ...tried])];
    await this.db.transaction((tx) => auditOperatorAction(this.audit, tx, operator, 'find_accounts', accounts.length ? accounts : [null], this.clock(), { reason, found: accounts.length }));
    return accounts;
  }

  /** Failures so far stop counting towards the lockout; new ones count again. */
  async unlockUser(actor: Actor, rawUserId: string, rawReason: string): Promise<UserAuthStatus> {
    const operator = requireOperator(actor);
    const userId = checkUserId(rawUserId);
    const reason = operatorReason(rawReason);
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await operatorRepository.resetLockout(tx, userId, now, `operator:${operator.operatorId}`);
      await auditOperatorAction(this.audit, tx, operator, 'unlock_user', [userId], now, { reason });
    });
    await this.changed(userId);
    return this.authStatus.currentStatusOf(userId);
  }

  /** For an identity bound with a stolen number: the binding goes, the account is UNVERIFIED, the number's slot is free. */
  async releaseIdentity(actor: Actor, rawUserId: string, rawReason: string): Promise<UserAuthStatus> {
    const operator = requireOperator(actor);
    const userId = checkUserId(rawUserId);
    const reason = operatorReason(rawReason);
    const now = this.clock();
    const released = await this.db.transaction(async (tx) => {
      await this.outbox.recordRevocations(tx, [userId], 'RELEASED', now);
      const [removed] = await identityRepository.deleteForUser(tx, userId);
      await auditOperatorAction(this.audit, tx, operator, 'release_identity', [userId], now, { reason, released: Boolean(removed) });
      return Boolean(removed);
    });
    if (!released) throw new DomainError(ErrorCode.NOT_FOUND, '该用户没有已绑定的身份');
    await this.changed(userId);
    return this.authStatus.currentStatusOf(userId);
  }

  private async auditRead(operator: Operator, action: string, userId: string, reason: string, detail: Record<string, string | number | boolean | null>, verificationId?: string) {
    await this.db.transaction((tx) => auditOperatorAction(this.audit, tx, operator, action, [userId], this.clock(), { reason, ...detail }, verificationId));
  }

  private async changed(userId: string) {
    await this.bus.publish('userStatus', undefined, { userId }).catch((error: unknown) => this.log.warn({ err: String(error) }, 'publish failed; gate caches expire'));
  }
}

/** No attempt at all, or one whose name or number retention already erased. */
const nothingToReveal = () => new DomainError(ErrorCode.NOT_FOUND, '该用户没有可查看的身份信息');
