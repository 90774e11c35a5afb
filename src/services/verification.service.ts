import { randomUUID } from 'node:crypto';
import type { BlindIndex } from '../crypto/blind-index.js';
import { hashCallbackToken, newCallbackToken } from '../crypto/callback-token.js';
import type { Database } from '../db/database.js';
import { actorLabel, canSee, isUuid, type Actor } from '../domain/actor.js';
import { passesGate } from '../domain/auth-status.js';
import { parseApplication, type Application, type RequestMeta, type StartInput } from '../domain/application.js';
import { acceptedDocuments, type DocumentType } from '../domain/documents.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { ageOn } from '../domain/id-card.js';
import { maskIdCardNumber, maskName } from '../domain/masking.js';
import { checkHeldIdentity, type HeldIdentityPurpose, type RenewalPolicy } from '../domain/renewal.js';
import { isTerminal, type FailureCode } from '../domain/verification-status.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { ProviderError, type FaceVerifyProvider, type ProviderMode } from '../providers/provider.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AccessLog } from './access-log.js';
import type { AuditChain } from './audit-log.js';
import { recordAttempt, recordConsent, type Attempt, type AttemptOutcome } from './attempt-record.js';
import type { StartGuard } from './start-guard.js';
import { announce, moveVerification } from './transitions.js';
import type { PersonalDataVault } from './vault.js';

export interface StartSettings {
  mode: ProviderMode;
  publicBaseUrl: string;
  returnUrlOrigins: readonly string[];
  ttlMinutes: number;
  renewal: RenewalPolicy;
  /** ACCEPTED_DOCUMENTS; the others end FAILED DOCUMENT_NOT_ACCEPTED, which a manual review can take. */
  acceptedDocuments: readonly DocumentType[];
}

/**
 * What a user sends for a face check against the identity already held (FaceCheckInput): no name,
 * no number. `faceCapture`: the WeChat path, the client's own photo instead of a certify page.
 */
export type FaceCheckInput = Omit<StartInput, 'realName' | 'idCardNumber' | 'documentType'> & { faceCapture?: boolean | null };

export interface VerificationServiceDeps {
  db: Database;
  provider: FaceVerifyProvider;
  vault: PersonalDataVault;
  blindIndex: BlindIndex;
  bus: EventBus;
  audit: AuditChain;
  guard: StartGuard;
  settings: StartSettings;
  clock: () => Date;
  log: Logger;
  accessLog: AccessLog;
}

/** What a verification shows of its applicant: never more than the masks. */
export interface MaskedApplicant {
  maskedName: string | null;
  maskedIdCardNumber: string | null;
}

export type StartChannel = 'H5' | 'CAPTURE';

/** Starting and cancelling verifications; results arrive through VerificationResultService. */
export class VerificationService {
  private readonly db;
  private readonly provider;
  private readonly vault;
  private readonly blindIndex;
  private readonly guard;
  private readonly settings;
  private readonly clock;
  private readonly log;
  private readonly inFlight = new Map<string, Promise<VerificationRow>>();

  constructor(private readonly deps: VerificationServiceDeps) {
    ({ db: this.db, provider: this.provider, vault: this.vault, blindIndex: this.blindIndex, guard: this.guard, settings: this.settings, clock: this.clock, log: this.log } = deps);
  }

  async get(actor: Actor, id: string): Promise<VerificationRow | null> {
    if (!isUuid(id)) return null;
    const row = await verificationRepository.byId(this.db, id);
    return row && canSee(actor, row.userId) ? row : null;
  }

  supportedDocuments() {
    return acceptedDocuments(this.settings.acceptedDocuments);
  }

  /** `verification(id)`: a service's read of someone's record leaves its access event. */
  async read(actor: Actor, id: string): Promise<VerificationRow | null> {
    const row = await this.get(actor, id);
    if (row) await this.deps.accessLog.serviceRead(actor, row.userId, 'verification', row.id);
    return row;
  }

  byIds(ids: readonly string[]): Promise<VerificationRow[]> {
    return verificationRepository.byIds(this.db, ids);
  }

  /** Decrypted only to be masked, one key lookup per row's owner. */
  maskedApplicants(rows: readonly VerificationRow[]): Promise<MaskedApplicant[]> {
    return Promise.all(
      rows.map(async (row) => {
        const [{ realName, idCardNumber }] = (await this.vault.openApplicants(row.userId, [row])) as [{ realName: string | null; idCardNumber: string | null }];
        return { maskedName: realName ? maskName(realName) : null, maskedIdCardNumber: idCardNumber ? maskIdCardNumber(idCardNumber) : null };
      }),
    );
  }

  /**
   * `H5`: Aliyun's certify page (InitFaceVerify). `CAPTURE`: the WeChat path — the same checks and
   * record, no certify page; the client's own photo follows (see FaceCaptureService).
   */
  async start(actor: Actor, input: StartInput, meta: RequestMeta, channel: StartChannel = 'H5'): Promise<VerificationRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '服务账号不能发起实名认证');
    const application = parseApplication(input, this.applicationPolicy(channel), this.clock());
    return this.submit(actor.userId, application, meta, channel);
  }

  /** `renewVerification`: from IDENTITY_RENEWAL_DAYS before expiry until the held identity is purged. */
  renew(actor: Actor, input: FaceCheckInput, meta: RequestMeta): Promise<VerificationRow> {
    return this.startWithHeldIdentity(actor, input, meta, 'RENEWAL');
  }

  /** `startStepUp`: one face check for a valid identity; on success only its face-check time moves. */
  startStepUp(actor: Actor, input: FaceCheckInput, meta: RequestMeta): Promise<VerificationRow> {
    return this.startWithHeldIdentity(actor, input, meta, 'STEP_UP');
  }

  /**
   * A start whose name and number come from the held identity's own verification record, opened
   * here and never sent back: the user only does the face check.
   */
  private async startWithHeldIdentity(actor: Actor, input: FaceCheckInput, meta: RequestMeta, purpose: HeldIdentityPurpose): Promise<VerificationRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '服务账号不能发起实名认证');
    if (input.biometricConsent !== true) throw new DomainError(ErrorCode.CONSENT_REQUIRED);
    const bound = await identityRepository.byUser(this.db, actor.userId);
    // A renewal skips Id2MetaVerify: only an identity this deployment's gate accepts may be renewed
    // (a sandbox identity's name and number were never matched against the real source).
    const identity = bound && passesGate(bound.mode, this.settings.mode) ? bound : null;
    const record = identity ? await verificationRepository.byId(this.db, identity.verificationId) : undefined;
    checkHeldIdentity(purpose, identity && { expiresAt: identity.expiresAt, documentType: record?.documentType ?? null }, this.settings.renewal, this.clock());
    const [held] = record ? await this.vault.openApplicants(actor.userId, [record]) : [];
    if (!held?.realName || !held.idCardNumber) throw new DomainError(ErrorCode.NOT_FOUND, '没有可续期的实名认证,请重新进行实名认证');
    const { faceCapture, ...faceCheck } = input;
    const channel: StartChannel = faceCapture === true ? 'CAPTURE' : 'H5';
    const application = parseApplication({ ...faceCheck, realName: held.realName, idCardNumber: held.idCardNumber, documentType: record!.documentType }, this.applicationPolicy(channel), this.clock());
    return this.submit(actor.userId, { ...application, purpose }, meta, channel);
  }

  private applicationPolicy(channel: StartChannel) {
    return { ...this.settings, requireMetaInfo: channel === 'H5' && this.settings.mode === 'LIVE' };
  }

  /** With an idempotency key, a retry returns the first attempt and a double submit shares one. */
  private async submit(userId: string, application: Application, meta: RequestMeta, channel: StartChannel): Promise<VerificationRow> {
    const { idempotencyKey } = application;
    if (!idempotencyKey) return this.begin(userId, application, meta, channel);
    const earlier = await verificationRepository.byIdempotencyKey(this.db, userId, idempotencyKey);
    if (earlier) return earlier;
    // A double submit on this replica shares one attempt: one budget point and one provider session,
    // not one each. Across replicas the unique index still leaves a single verification.
    const claim = `${userId}\n${idempotencyKey}`;
    const running = this.inFlight.get(claim);
    if (running) return running;
    const attempt = this.begin(userId, application, meta, channel).finally(() => this.inFlight.delete(claim));
    this.inFlight.set(claim, attempt);
    return attempt;
  }

  private async begin(userId: string, application: Application, meta: RequestMeta, channel: StartChannel): Promise<VerificationRow> {
    const { realName, idCardNumber, returnUrl } = application;
    const idNumberIndex = this.blindIndex.of(idCardNumber);

    const identity = await identityRepository.byUser(this.db, userId);
    if (application.purpose === 'VERIFY' && identity && identity.expiresAt > this.clock() && passesGate(identity.mode, this.settings.mode)) throw new DomainError(ErrorCode.ALREADY_VERIFIED);

    const open = await verificationRepository.openForUser(this.db, userId);
    const sameChannel = open && (open.certifyUrl === null) === (channel === 'CAPTURE') && open.purpose === application.purpose;
    if (open && sameChannel && open.expiresAt > this.clock() && (await this.sameApplicant(open, idNumberIndex, realName))) return open;

    // Whether the number is bound to other accounts is decided only after the face check
    // (VerificationResultService.settle): answering it here would tell anyone who is registered.
    await this.guard.check(userId, idNumberIndex, meta);
    const consentId = await recordConsent(this.db, userId, meta, this.clock());

    const id = randomUUID();
    const attempt = { id, userId, application, idNumberIndex, consentId };
    // Aliyun has no age code (InitFaceVerify has no 405): the 14+ rule is ours, read from the number.
    if (ageOn(application.birthDate, this.clock()) < 14) return this.record(attempt, { status: 'FAILED', failureCode: 'UNDER_AGE' });
    if (!this.settings.acceptedDocuments.includes(application.documentType)) return this.record(attempt, { status: 'FAILED', failureCode: 'DOCUMENT_NOT_ACCEPTED' });
    // A renewal or step-up skips Id2MetaVerify on purpose: the held name and number were matched
    // against the authoritative source when this identity was first verified, and have not changed
    // since (they are read from that record). The face check still compares against the source photo.
    if (application.purpose === 'VERIFY') {
      const match = await this.callProvider(() => this.provider.checkIdentity(realName, idCardNumber));
      if (match.ok && match.value !== 'MATCH') {
        return this.record(attempt, { status: 'FAILED', failureCode: 'IDENTITY_NOT_CONFIRMED', identityMatch: match.value });
      }
      if (!match.ok) return this.record(attempt, { status: 'FAILED', failureCode: match.failureCode });
    }
    if (channel === 'CAPTURE') return this.record(attempt, { status: 'PENDING', awaitingCapture: true });

    const callbackToken = newCallbackToken();
    const session = await this.callProvider(() =>
      this.provider.initFaceVerify({
        outerOrderNo: id.replaceAll('-', ''),
        name: realName,
        idCardNumber,
        documentType: application.documentType,
        callbackUrl: `${this.settings.publicBaseUrl}/callbacks/aliyun`,
        callbackToken,
        returnUrl,
        metaInfo: application.metaInfo,
        ip: meta.clientIp,
        elderlyMode: application.elderlyMode,
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
    const moved = await this.db.transaction((tx) => moveVerification(this.deps.audit, tx, id, { to: 'CANCELED', failureCode: 'CANCELED_BY_USER', actor: actorLabel(actor) }, now));
    if (moved) await announce(this.deps.bus, this.log, moved);
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
      // Aliyun refused what we sent (e.g. 401 for a CallbackUrl it cannot reach): our configuration's
      // fault. No record, so nothing counts toward the user's lockout; the log says what to fix.
      if (error.kind === 'misconfigured') {
        this.log.error({ providerCode: error.providerCode, problem: error.message }, 'provider refused our request: check the Aliyun configuration');
        throw new DomainError(ErrorCode.PROVIDER_UNAVAILABLE);
      }
      return { ok: false, failureCode: error.failureCode };
    }
  }

  private async sameApplicant(open: VerificationRow, idNumberIndex: string, realName: string) {
    if (open.idNumberIndex !== idNumberIndex) return false;
    const [applicant] = await this.vault.openApplicants(open.userId, [open]);
    return applicant!.realName === realName;
  }

  private record(attempt: Attempt, outcome: AttemptOutcome): Promise<VerificationRow> {
    return recordAttempt(this.deps, attempt, outcome);
  }
}
