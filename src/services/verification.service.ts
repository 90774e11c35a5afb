import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import { CONSENT_TERMS } from '../domain/consent-terms.js';
import { actorLabel, canSee, isUuid, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { parseIdCardNumber } from '../domain/id-card.js';
import { isTerminal, type FailureCode } from '../domain/verification-status.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { ProviderError, type FaceVerifyProvider, type ProviderMode } from '../providers/provider.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import { appendAudit } from './audit-log.js';
import { hashCallbackToken } from './verification-result.service.js';
import { announce, moveVerification } from './transitions.js';
import type { PersonalDataVault } from './vault.js';

export interface StartInput {
  realName: string;
  idCardNumber: string;
  consentVersion: string;
  biometricConsent?: boolean | null;
  returnUrl?: string | null;
  idempotencyKey?: string | null;
  metaInfo?: string | null;
}

/** A start that passed validation: what goes to the provider and into the record. */
interface Application {
  realName: string;
  idNumber: string;
  idempotencyKey: string | null;
  returnUrl: string;
  metaInfo?: string;
}

export interface RequestMeta {
  clientIp?: string;
  userAgent?: string;
}

export interface StartSettings {
  mode: ProviderMode;
  publicBaseUrl: string;
  returnUrlOrigins: readonly string[];
  ttlMinutes: number;
  maxAccountsPerIdentity: number;
}

/** What must hold before a start reaches the provider: lockout and rate limits (see limits). */
export interface StartGuard {
  check(userId: string, idNumberIndex: string, meta: RequestMeta): Promise<void>;
}

const NAME = /^[\p{Script=Han}\p{L}\p{M}·•. ]{1,40}$/u;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;

export class VerificationService {
  constructor(
    private readonly db: Database,
    private readonly provider: FaceVerifyProvider,
    private readonly vault: PersonalDataVault,
    private readonly blindIndex: BlindIndex,
    private readonly bus: EventBus,
    private readonly guard: StartGuard,
    private readonly settings: StartSettings,
    private readonly clock: () => Date,
    private readonly log: Logger,
  ) {}

  private readonly inFlight = new Map<string, Promise<VerificationRow>>();

  async get(actor: Actor, id: string): Promise<VerificationRow | null> {
    if (!isUuid(id)) return null;
    const row = await verificationRepository.byId(this.db, id);
    return row && canSee(actor, row.userId) ? row : null;
  }

  async start(actor: Actor, input: StartInput, meta: RequestMeta): Promise<VerificationRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '服务账号不能发起实名认证');
    const userId = actor.userId;
    const realName = input.realName.normalize('NFC').trim().replace(/\s+/g, ' ');
    if (!NAME.test(realName) || !/\p{L}/u.test(realName)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请输入与身份证一致的真实姓名');
    const idCard = parseIdCardNumber(input.idCardNumber, this.clock());
    if (input.consentVersion !== CONSENT_TERMS.version || input.biometricConsent === false) {
      throw new DomainError(ErrorCode.CONSENT_REQUIRED);
    }
    const returnUrl = this.checkReturnUrl(input.returnUrl);
    const idempotencyKey = input.idempotencyKey ?? null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'idempotencyKey 须为 8–64 位字母、数字、- 或 _');
    }
    const application = { realName, idNumber: idCard.value, idempotencyKey, returnUrl, metaInfo: input.metaInfo ?? undefined };
    if (!idempotencyKey) return this.begin(userId, application, meta);
    const earlier = await verificationRepository.byIdempotencyKey(this.db, userId, idempotencyKey);
    if (earlier) return earlier;
    // A double submit on this replica shares one attempt: one budget point and one provider session,
    // not one each. Across replicas the unique index still leaves a single verification.
    const claim = `${userId}\n${idempotencyKey}`;
    const running = this.inFlight.get(claim);
    if (running) return running;
    const attempt = this.begin(userId, application, meta).finally(() => this.inFlight.delete(claim));
    this.inFlight.set(claim, attempt);
    return attempt;
  }

  private async begin(userId: string, application: Application, meta: RequestMeta): Promise<VerificationRow> {
    const { realName, idNumber, idempotencyKey, returnUrl } = application;
    const idNumberIndex = this.blindIndex.of(idNumber);

    const identity = await identityRepository.byUser(this.db, userId);
    if (identity && identity.expiresAt > this.clock()) throw new DomainError(ErrorCode.ALREADY_VERIFIED);

    const open = await verificationRepository.openForUser(this.db, userId);
    if (open && open.expiresAt > this.clock() && (await this.sameApplicant(open, idNumberIndex, realName))) return open;

    await this.guard.check(userId, idNumberIndex, meta);
    // After the budgets: this answer tells whether a number is bound to someone, so probing it costs too.
    const held = await identityRepository.slotsHeldByOthers(this.db, idNumberIndex, userId);
    if (held.length >= this.settings.maxAccountsPerIdentity) throw new DomainError(ErrorCode.IDENTITY_ALREADY_BOUND);

    const id = randomUUID();
    const attempt = { id, userId, realName, idNumber, idNumberIndex, idempotencyKey, returnUrl, meta };
    const match = await this.callProvider(() => this.provider.checkIdentity(realName, idNumber));
    if (match.ok && match.value !== 'MATCH') {
      return this.record(attempt, { status: 'FAILED', failureCode: match.value === 'MISMATCH' ? 'NAME_ID_MISMATCH' : 'NO_SUCH_IDENTITY' });
    }
    if (!match.ok) return this.record(attempt, { status: 'FAILED', failureCode: match.failureCode });

    const callbackToken = randomBytes(32).toString('base64url');
    const session = await this.callProvider(() =>
      this.provider.initFaceVerify({
        outerOrderNo: id.replaceAll('-', ''),
        name: realName,
        idCardNumber: idNumber,
        callbackUrl: `${this.settings.publicBaseUrl}/callbacks/aliyun`,
        callbackToken,
        returnUrl,
        metaInfo: application.metaInfo,
      }),
    );
    if (!session.ok) return this.record(attempt, { status: 'FAILED', failureCode: session.failureCode });
    return this.record(attempt, {
      status: 'PENDING',
      certifyId: session.value.certifyId,
      certifyUrl: session.value.certifyUrl,
      callbackTokenHash: hashCallbackToken(callbackToken),
    });
  }

  async cancel(actor: Actor, id: string): Promise<VerificationRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '服务账号不能取消实名认证');
    const row = await this.get(actor, id);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND);
    if (isTerminal(row.status)) return row;
    const now = this.clock();
    const moved = await this.db.transaction((tx) => moveVerification(tx, id, { to: 'CANCELED', failureCode: 'CANCELED_BY_USER', actor: actorLabel(actor) }, now));
    if (moved) await announce(this.bus, this.log, moved);
    return moved ?? (await verificationRepository.byId(this.db, id))!;
  }

  /** Rejections become a FAILED record the user can read; an outage writes nothing and is retryable. */
  private async callProvider<T>(call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failureCode: FailureCode }> {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error.kind === 'unavailable') {
        this.log.warn({ providerCode: error.providerCode }, 'provider unavailable during start');
        throw new DomainError(ErrorCode.PROVIDER_UNAVAILABLE);
      }
      return { ok: false, failureCode: error.failureCode };
    }
  }

  private async sameApplicant(open: VerificationRow, idNumberIndex: string, realName: string) {
    if (open.idNumberIndex !== idNumberIndex) return false;
    const [name] = await this.vault.openText(open.userId, [{ aad: { table: 'verifications', column: 'name_cipher', rowId: open.id }, sealed: open.nameCipher }]);
    return name === realName;
  }

  private checkReturnUrl(raw: string | null | undefined): string {
    if (!raw) return `${this.settings.publicBaseUrl}/return`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'returnUrl 不是有效的地址');
    }
    const allowed = [new URL(this.settings.publicBaseUrl).origin, ...this.settings.returnUrlOrigins];
    if (!['https:', 'http:'].includes(url.protocol) || !allowed.includes(url.origin) || raw.length > 1024) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'returnUrl 不在允许的域名内');
    }
    return url.toString();
  }

  /**
   * One transaction: the consent, the superseding of any open attempt, the new record and its audit
   * event. A concurrent start with the same idempotency key loses on the unique index and returns
   * the winner's record.
   */
  private async record(
    attempt: { id: string; userId: string; realName: string; idNumber: string; idNumberIndex: string; idempotencyKey: string | null; returnUrl: string; meta: RequestMeta },
    outcome: { status: 'PENDING' | 'FAILED'; failureCode?: FailureCode; certifyId?: string; certifyUrl?: string; callbackTokenHash?: string },
  ): Promise<VerificationRow> {
    const { id, userId } = attempt;
    const [nameCipher, idNumberCipher] = await this.vault.seal(userId, [
      { aad: { table: 'verifications', column: 'name_cipher', rowId: id }, value: attempt.realName },
      { aad: { table: 'verifications', column: 'id_number_cipher', rowId: id }, value: attempt.idNumber },
    ]);
    const now = this.clock();
    const superseded: VerificationRow[] = [];
    const write = () =>
      this.db.transaction(async (tx) => {
        const consentId = randomUUID();
        await consentRepository.insert(tx, {
          id: consentId,
          userId,
          version: CONSENT_TERMS.version,
          biometric: true,
          clientIp: attempt.meta.clientIp ?? null,
          userAgent: attempt.meta.userAgent?.slice(0, 512) ?? null,
          acceptedAt: now,
        });
        const open = await verificationRepository.openForUser(tx, userId);
        const moved = open && (await moveVerification(tx, open.id, { to: 'CANCELED', failureCode: 'SUPERSEDED', actor: `user:${userId}` }, now));
        if (moved) superseded.push(moved);
        const row = await verificationRepository.insert(tx, {
          id,
          userId,
          status: outcome.status,
          mode: this.settings.mode,
          nameCipher,
          idNumberCipher,
          idNumberIndex: attempt.idNumberIndex,
          consentId,
          idempotencyKey: attempt.idempotencyKey,
          outerOrderNo: id.replaceAll('-', ''),
          certifyId: outcome.certifyId ?? null,
          certifyUrl: outcome.certifyUrl ?? null,
          callbackTokenHash: outcome.callbackTokenHash ?? null,
          returnUrl: attempt.returnUrl,
          failureCode: outcome.failureCode ?? null,
          createdAt: now,
          updatedAt: now,
          expiresAt: new Date(now.getTime() + this.settings.ttlMinutes * 60_000),
          completedAt: outcome.status === 'FAILED' ? now : null,
        });
        await appendAudit(tx, {
          at: now,
          actor: `user:${userId}`,
          action: outcome.status === 'PENDING' ? 'verification.started' : 'verification.failed',
          subjectUserId: userId,
          verificationId: id,
          detail: { consentVersion: CONSENT_TERMS.version, failureCode: outcome.failureCode ?? null, mode: this.settings.mode },
        });
        return row;
      });

    let row: VerificationRow | undefined;
    for (let tries = 1; !row; tries++) {
      try {
        row = await write();
      } catch (error) {
        if (attempt.idempotencyKey && isUniqueViolation(error, 'verifications_idempotency_idx')) {
          return (await verificationRepository.byIdempotencyKey(this.db, userId, attempt.idempotencyKey))!;
        }
        // A concurrent start of this user opened a record between our read and our insert: go again
        // once. With the same idempotency key, that second try meets the key's index and returns above.
        if (tries > 1 || !isUniqueViolation(error, 'verifications_one_open_idx')) throw error;
        superseded.length = 0;
      }
    }
    for (const s of superseded) await announce(this.bus, this.log, s);
    await announce(this.bus, this.log, row);
    return row;
  }
}
