import { callbackTokenMatches } from '../crypto/callback-token.js';
import type { Database, Executor } from '../db/database.js';
import { isTerminal } from '../domain/verification-status.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { ProviderError, type FaceVerifyOutcome, type FaceVerifyProvider } from '../providers/provider.js';
import { faceImageRepository } from '../repositories/face-image.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AuditChain } from './audit-log.js';
import { bindIdentity, recordFaceCheck } from './identity-binding.js';
import { announce, moveVerification, type Move } from './transitions.js';
import type { PersonalDataVault } from './vault.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface ResultSettings {
  identityValidityDays: number;
  maxAccountsPerIdentity: number;
  faceImageRetentionDays: number;
  reconcileAfterSeconds: number;
  reconcileIntervalSeconds: number;
}

/** Why a callback was refused; the route says it in HTTP. */
export enum CallbackRefusal {
  /** Parameters missing or not of the shape Aliyun sends. */
  MALFORMED = 'MALFORMED',
  /** No such verification, or not its token: the two are one answer on purpose. */
  NOT_OURS = 'NOT_OURS',
}

/** The route answers `reason` in HTTP; the message is the reason, for whoever logs it. */
export class CallbackRefused extends Error {
  constructor(readonly reason: CallbackRefusal) {
    super(reason);
  }
}

/** What asked for a result: Aliyun's callback (the user is done with liveness) or the reconciler. */
export type ResultTrigger = 'callback' | 'reconciler';

/** How each trigger is named in the audit trail. */
const auditActor = { callback: 'provider', reconciler: 'reconciler' } as const satisfies Record<ResultTrigger, string>;

export interface VerificationResultServiceDeps {
  db: Database;
  provider: FaceVerifyProvider;
  vault: PersonalDataVault;
  bus: EventBus;
  audit: AuditChain;
  outbox: WebhookOutbox;
  settings: ResultSettings;
  clock: () => Date;
  log: Logger;
}

const DAY_MS = 86_400_000;
/** Aliyun's CertifyIds are short alphanumerics; anything else (NUL, which PostgreSQL refuses, included) is not one. */
const CERTIFY_ID = /^[\w-]{1,64}$/;

/**
 * Everything that ends a verification: the provider's callback, a user's poll, the reconciler.
 * Each asks DescribeFaceVerify for the truth and moves the record once.
 */
export class VerificationResultService {
  private readonly db;
  private readonly provider;
  private readonly vault;
  private readonly bus;
  private readonly audit;
  private readonly outbox;
  private readonly settings;
  private readonly clock;
  private readonly log;

  constructor(deps: VerificationResultServiceDeps) {
    ({ db: this.db, provider: this.provider, vault: this.vault, bus: this.bus, audit: this.audit, outbox: this.outbox, settings: this.settings, clock: this.clock, log: this.log } = deps);
  }

  /**
   * Aliyun's GET carries `passed` and `subcode`, but anyone can send a GET: they are a trigger, never
   * the result. Only a matching per-verification token gets us to ask DescribeFaceVerify.
   */
  async handleCallback(certifyId: string | undefined, callbackToken: string | undefined): Promise<VerificationRow> {
    if (!certifyId || !callbackToken || !CERTIFY_ID.test(certifyId) || callbackToken.length > 128) throw new CallbackRefused(CallbackRefusal.MALFORMED);
    const row = await verificationRepository.byCertifyId(this.db, certifyId);
    if (!callbackTokenMatches(row?.callbackTokenHash, callbackToken) || !row) throw new CallbackRefused(CallbackRefusal.NOT_OURS);
    return this.refresh(row, 'callback');
  }

  /** Asks the provider about an open verification and applies the answer. Throws ProviderError. */
  async refresh(row: VerificationRow, trigger: ResultTrigger): Promise<VerificationRow> {
    if (isTerminal(row.status) || !row.certifyId) return row;
    const actor = auditActor[trigger];
    const outcome = await this.provider.describeFaceVerify(row.certifyId);
    if (outcome.state === 'PENDING') {
      // The provider called back but has no result yet: the user is done, the verdict is not.
      if (trigger === 'callback' && row.status === 'PENDING') return this.applyOrReread(row, { to: 'PROCESSING', actor });
      return row;
    }
    return this.settle(row, outcome, actor);
  }

  /** The WeChat path: ContrastFaceVerify answered at once; settled as a DescribeFaceVerify result is. */
  settleCapture(row: VerificationRow, outcome: Extract<FaceVerifyOutcome, { state: 'DONE' }>): Promise<VerificationRow> {
    return this.settle(row, outcome, auditActor.callback);
  }

  private async settle(row: VerificationRow, outcome: Extract<FaceVerifyOutcome, { state: 'DONE' }>, actor: string) {
    if (!outcome.passed) {
      return this.applyOrReread(row, { to: 'FAILED', failureCode: outcome.failureCode, providerSubCode: outcome.subCode, actor });
    }
    const verified: Move = { to: 'VERIFIED', providerSubCode: outcome.subCode, actor };
    const bind = async (tx: Executor, moved: VerificationRow) => {
      // A step-up keeps no face image, whatever FACE_IMAGE_RETENTION_DAYS says: it only confirms the
      // person at the gate is the one already bound, and a renewal or first start already kept one.
      if (moved.purpose === 'STEP_UP') return recordFaceCheck(tx, moved, this.clock());
      if (!(await bindIdentity(this.outbox, tx, moved, this.settings, this.clock()))) throw new IdentityBound();
      if (outcome.faceImage) await this.keepFaceImage(tx, moved, outcome.faceImage);
    };
    // No two bindings of one number race for a slot: the move appends to the audit chain, whose lock
    // is held to the commit, before bindIdentity looks for a free one. The unique index stays the guard.
    try {
      return await this.applyOrReread(row, verified, bind);
    } catch (error) {
      if (!(error instanceof IdentityBound)) throw error;
      // Other accounts hold every slot for this number.
      const failed: Move = { to: 'FAILED', failureCode: 'IDENTITY_ALREADY_BOUND', providerSubCode: outcome.subCode, actor };
      return this.applyOrReread(row, failed, (tx, moved) => this.suspectMisuse(tx, moved, actor));
    }
  }

  /**
   * The holder of the number passed the face check, yet other accounts hold every slot for it: one
   * side may be using someone else's identity. Counts only, no account ids: this event is the
   * attempting user's, and shows in their export. Operators find the other accounts with
   * `findAccountsByIdNumber`.
   */
  private async suspectMisuse(tx: Executor, moved: VerificationRow, actor: string) {
    const held = await identityRepository.slotsHeldByOthers(tx, moved.idNumberIndex!, moved.userId);
    await this.audit.append(tx, {
      at: moved.updatedAt,
      actor,
      action: 'identity.misuse_suspected',
      subjectUserId: moved.userId,
      verificationId: moved.id,
      detail: { accountsHoldingIdentity: held.length, maxAccountsPerIdentity: this.settings.maxAccountsPerIdentity },
    });
  }

  /** Only with a retention period configured (PIPL: no longer than the purpose needs). */
  private async keepFaceImage(tx: Executor, row: VerificationRow, image: Buffer) {
    const days = this.settings.faceImageRetentionDays;
    if (days <= 0) return;
    const now = this.clock();
    const imageCipher = await this.vault.sealFaceImage(tx, row.userId, row.id, image);
    await faceImageRepository.insert(tx, {
      verificationId: row.id,
      userId: row.userId,
      imageCipher,
      createdAt: now,
      purgeAfter: new Date(now.getTime() + days * DAY_MS),
    });
  }

  /** When a concurrent callback, poll or replica moved it first, answers with what it became. */
  private async applyOrReread(row: VerificationRow, move: Move, alongside?: Alongside): Promise<VerificationRow> {
    return (await this.apply(row, move, alongside)) ?? (await verificationRepository.byId(this.db, row.id)) ?? row;
  }

  /** `alongside` commits with the move (binding the identity, keeping the image) or not at all. */
  private async apply(row: Pick<VerificationRow, 'id'>, move: Move, alongside?: Alongside): Promise<VerificationRow | undefined> {
    const now = this.clock();
    const moved = await this.db.transaction(async (tx) => {
      const moved = await moveVerification(this.audit, tx, row.id, move, now);
      if (moved) await alongside?.(tx, moved);
      return moved;
    });
    if (moved) await announce(this.bus, this.log, moved);
    return moved;
  }

  /**
   * No callback comes when a user walks away. Open records older than a few minutes are asked
   * about; those past their expiry are closed. Replicas share the work through SKIP LOCKED claims.
   */
  async reconcile(limit = 50): Promise<{ checked: number; settled: number; expired: number }> {
    const now = this.clock();
    const due = await verificationRepository.claimDueForCheck(this.db, {
      olderThan: new Date(now.getTime() - this.settings.reconcileAfterSeconds * 1000),
      checkedBefore: new Date(now.getTime() - (this.settings.reconcileIntervalSeconds * 1000) / 2),
      now,
      limit,
    });
    let settled = 0;
    let expired = 0;
    for (const row of due) {
      let result: VerificationRow = row;
      try {
        result = await this.refresh(row, 'reconciler');
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        this.log.warn({ verificationId: row.id, providerCode: error.providerCode }, 'reconcile: provider unavailable');
      }
      if (isTerminal(result.status)) settled++;
      // A WeChat capture has no certifyId to ask about: it waits for its photo until it expires.
      else if (row.expiresAt <= now) {
        if (await this.apply(row, { to: 'EXPIRED', failureCode: 'ABANDONED', actor: 'reconciler' })) expired++;
      }
    }
    return { checked: due.length, settled, expired };
  }
}

class IdentityBound extends Error {}

type Alongside = (tx: Executor, moved: VerificationRow) => Promise<void>;
