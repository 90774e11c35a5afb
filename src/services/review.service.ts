import { randomUUID } from 'node:crypto';
import type { Database, Executor } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { isManuallyReviewable, operatorReason, REVIEW_OPEN_DAYS, reviewNote, type ReviewDecision } from '../domain/review.js';
import type { Actor } from '../domain/actor.js';
import type { RequestMeta } from '../domain/application.js';
import { parseDocumentReview, type DocumentReviewInput } from '../domain/document-review.js';
import { decodeCursor, encodeCursor, pageSize, takePage } from '../domain/page.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { denylistRepository } from '../repositories/denylist.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { reviewRepository, type ReviewCaseRow, type ReviewStatus } from '../repositories/review.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AuditChain, AuditDetail } from './audit-log.js';
import { recordConsent } from './attempt-record.js';
import { auditOperatorAction, operatorLabel, requireOperator } from './operator-audit.js';
import { bindIdentity } from './identity-binding.js';
import { announce, moveVerification } from './transitions.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import type { StartGuard } from './start-guard.js';
import type { PersonalDataVault } from './vault.js';
import { isUuid } from '../domain/actor.js';

export interface ReviewSettings {
  /** REVIEW_TWO_PERSON: an approval takes this many different operators (1 or 2). */
  approvalsRequired: number;
  identityValidityDays: number;
  maxAccountsPerIdentity: number;
}

export interface ReviewPage {
  cases: ReviewCaseRow[];
  hasNextPage: boolean;
  totalCount: number;
}

const DAY_MS = 86_400_000;

/** What a new case carries, from a failed attempt or from a document review request. */
interface OpeningCase {
  name: string;
  number: string;
  note: string | null;
  documentType: VerificationRow['documentType'];
  idNumberIndex: string;
  consentId: VerificationRow['consentId'];
  failedVerificationId: string | null;
  failureCode: ReviewCaseRow['failureCode'];
  detail: AuditDetail;
}

/** Two requests of one user at once: the unique open case (or open attempt) refused the later one. */
const isOpenCaseRace = (error: unknown) => isUniqueViolation(error, 'review_cases_one_open_idx') || isUniqueViolation(error, 'verifications_one_open_idx');
const sealedAad = (table: string, column: string, rowId: string) => ({ table, column, rowId });

/**
 * Manual review, the fallback Aliyun asks integrators to offer. A user's request opens a case and a
 * MANUAL verification (PROCESSING) carrying their sealed name and number; an operator's decision
 * moves that verification like any other — VERIFIED and bound, or FAILED — so the user's status and
 * `verificationResult` change live through the usual announcements.
 */
export class ReviewService {
  constructor(
    private readonly db: Database,
    private readonly vault: PersonalDataVault,
    private readonly bus: EventBus,
    private readonly audit: AuditChain,
    private readonly outbox: WebhookOutbox,
    private readonly settings: ReviewSettings,
    private readonly clock: () => Date,
    private readonly log: Logger,
    private readonly blindIndex: BlindIndex,
    /** A start's lockout, budgets and denylist: a document review costs an operator's time, not Aliyun's. */
    private readonly guard: StartGuard,
  ) {}

  /** The owner of a FAILED attempt the automatic path cannot fix; a repeat returns the open case. */
  async request(actor: Actor, verificationId: string, rawNote: string | null | undefined): Promise<ReviewCaseRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '仅限本人申请人工审核');
    const note = reviewNote(rawNote);
    const failed = isUuid(verificationId) ? await verificationRepository.byId(this.db, verificationId) : undefined;
    if (!failed || failed.userId !== actor.userId) throw new DomainError(ErrorCode.NOT_FOUND);
    const open = await reviewRepository.openForUser(this.db, actor.userId);
    if (open && (await this.stillOpen(open))) return open;
    if (failed.status !== 'FAILED' || !isManuallyReviewable(failed.failureCode)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '该认证结果不支持人工审核,请重新发起认证');
    }
    const identity = await identityRepository.byUser(this.db, actor.userId);
    if (identity && identity.expiresAt > this.clock()) throw new DomainError(ErrorCode.ALREADY_VERIFIED);
    if ((await denylistRepository.matching(this.db, actor.userId, failed.idNumberIndex)).length) throw new DomainError(ErrorCode.IDENTITY_DENIED);

    const [name, number] = await this.vault.openText(actor.userId, [
      { aad: sealedAad('verifications', 'name_cipher', failed.id), sealed: failed.nameCipher },
      { aad: sealedAad('verifications', 'id_number_cipher', failed.id), sealed: failed.idNumberCipher },
    ]);
    if (!name || !number || !failed.idNumberIndex) throw new DomainError(ErrorCode.BAD_USER_INPUT, '该认证记录已过保存期限,请重新发起认证');

    try {
      return await this.open(actor.userId, {
        name,
        number,
        note,
        documentType: failed.documentType,
        idNumberIndex: failed.idNumberIndex,
        consentId: failed.consentId,
        failedVerificationId: failed.id,
        failureCode: failed.failureCode!,
        detail: { failureCode: failed.failureCode, failedVerificationId: failed.id },
      });
    } catch (error) {
      // A concurrent request of the same user opened the case first: theirs stands.
      if (!isOpenCaseRace(error)) throw error;
      const winner = await reviewRepository.openForUser(this.db, actor.userId);
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * A document Aliyun cannot verify (REVIEW_DOCUMENT_TYPES): the name and number come with the
   * request, are sealed and indexed as a start's are (the index scoped by the document), and wait
   * in a MANUAL verification for an operator. The per-user rules are requestManualReview's; a second
   * request while a case is open is refused rather than answered with it, since it may name other data.
   */
  async requestDocument(actor: Actor, input: DocumentReviewInput, meta: RequestMeta): Promise<ReviewCaseRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '仅限本人申请人工审核');
    const application = parseDocumentReview(input, this.clock());
    const idNumberIndex = this.blindIndex.ofReviewDocument({ documentType: application.documentType, value: application.documentNumber });
    const identity = await identityRepository.byUser(this.db, actor.userId);
    if (identity && identity.expiresAt > this.clock()) throw new DomainError(ErrorCode.ALREADY_VERIFIED);
    const open = await reviewRepository.openForUser(this.db, actor.userId);
    if (open && (await this.stillOpen(open))) throw caseAlreadyOpen();
    await this.guard.check(actor.userId, idNumberIndex, meta);
    const consentId = await recordConsent(this.db, actor.userId, meta, this.clock(), 'DOCUMENT_REVIEW');

    try {
      return await this.open(actor.userId, {
        name: application.realName,
        number: application.documentNumber,
        note: application.note,
        documentType: application.documentType,
        idNumberIndex,
        consentId,
        failedVerificationId: null,
        // What the case's `failure` says: this document is not verified online, a person decides.
        failureCode: 'DOCUMENT_NOT_ACCEPTED',
        detail: { failureCode: 'DOCUMENT_NOT_ACCEPTED', documentType: application.documentType, consentPurpose: 'DOCUMENT_REVIEW' },
      });
    } catch (error) {
      // A concurrent request of the same user opened a case first: this one is the second.
      if (!isOpenCaseRace(error)) throw error;
      if (!(await reviewRepository.openForUser(this.db, actor.userId))) throw error;
      throw caseAlreadyOpen();
    }
  }

  /**
   * Seals the name, number and note, then opens the case in one transaction: a pending automatic
   * attempt gives way to the MANUAL verification (as to a new start), and the case and its audit
   * event are written with it. Announces after the commit.
   */
  private async open(userId: string, request: OpeningCase): Promise<ReviewCaseRow> {
    const id = randomUUID();
    const caseId = randomUUID();
    const [nameCipher, idNumberCipher, noteCipher] = await this.vault.seal(userId, [
      { aad: sealedAad('verifications', 'name_cipher', id), value: request.name },
      { aad: sealedAad('verifications', 'id_number_cipher', id), value: request.number },
      ...(request.note ? [{ aad: sealedAad('review_cases', 'note_cipher', caseId), value: request.note }] : []),
    ]);
    const now = this.clock();
    const { row, opened, superseded } = await this.db.transaction(async (tx) => {
      const pending = await verificationRepository.openForUser(tx, userId);
      const superseded = pending && (await moveVerification(this.audit, tx, pending.id, { to: 'CANCELED', failureCode: 'SUPERSEDED', actor: `user:${userId}` }, now));
      const row = await verificationRepository.insert(tx, {
        id,
        userId,
        status: 'PROCESSING',
        mode: 'MANUAL',
        documentType: request.documentType,
        nameCipher,
        idNumberCipher,
        idNumberIndex: request.idNumberIndex,
        consentId: request.consentId,
        outerOrderNo: id.replaceAll('-', ''),
        createdAt: now,
        updatedAt: now,
        expiresAt: new Date(now.getTime() + REVIEW_OPEN_DAYS * DAY_MS),
      });
      const opened = await reviewRepository.insert(tx, {
        id: caseId,
        userId,
        failedVerificationId: request.failedVerificationId,
        verificationId: id,
        status: 'OPEN',
        failureCode: request.failureCode,
        noteCipher: noteCipher ?? null,
        createdAt: now,
      });
      await this.audit.append(tx, {
        at: now,
        actor: `user:${userId}`,
        action: 'review.requested',
        subjectUserId: userId,
        verificationId: id,
        detail: { caseId, ...request.detail, withNote: request.note !== null },
      });
      return { row, opened, superseded: superseded || undefined };
    });
    if (superseded) await announce(this.bus, this.log, superseded);
    await announce(this.bus, this.log, row, 'started');
    return opened;
  }

  /** A case whose verification a new start superseded is withdrawn, the first time anyone looks. */
  private async stillOpen(found: ReviewCaseRow): Promise<boolean> {
    // A case's MANUAL verification is written PROCESSING, never PENDING, and leaves it only to end.
    const verification = await verificationRepository.byId(this.db, found.verificationId);
    if (verification?.status === 'PROCESSING') return true;
    await reviewRepository.updateOpen(this.db, found.id, { status: 'WITHDRAWN', decidedAt: this.clock() });
    return false;
  }

  async get(actor: Actor, caseId: string): Promise<ReviewCaseRow> {
    requireOperator(actor);
    const found = isUuid(caseId) ? await reviewRepository.byId(this.db, caseId) : undefined;
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND);
    return found;
  }

  /** The queue, oldest first. `after` is the cursor of the last case seen. */
  async list(actor: Actor, status: ReviewStatus, first: number, after: string | null | undefined): Promise<ReviewPage> {
    requireOperator(actor);
    const rows = await reviewRepository.page(this.db, status, after ? decodeCursor(after) : undefined, pageSize(first, 100) + 1);
    const page = takePage(rows, first);
    return { cases: page.rows, hasNextPage: page.hasNextPage, totalCount: await reviewRepository.countByStatus(this.db, status) };
  }

  get approvalsRequired() {
    return this.settings.approvalsRequired;
  }

  async attemptsOf(userId: string): Promise<VerificationRow[]> {
    return (await verificationRepository.allForUser(this.db, userId)).reverse();
  }

  casesOf(userId: string): Promise<ReviewCaseRow[]> {
    return reviewRepository.allForUser(this.db, userId);
  }

  /** The user's note: for the user and for operators, never elsewhere. */
  async noteOf(row: ReviewCaseRow): Promise<string | null> {
    const [note] = await this.vault.openText(row.userId, [{ aad: sealedAad('review_cases', 'note_cipher', row.id), sealed: row.noteCipher }]);
    return note ?? null;
  }

  async decide(actor: Actor, caseId: string, decision: ReviewDecision, rawReason: string): Promise<ReviewCaseRow> {
    const operator = requireOperator(actor);
    const reason = operatorReason(rawReason);
    const found = await this.get(actor, caseId);
    if (found.status !== 'OPEN') throw new DomainError(ErrorCode.BAD_USER_INPUT, '该审核已处理');
    const now = this.clock();
    const by = operatorLabel(operator);

    if (decision === 'REJECT') {
      const moved = await this.db.transaction(async (tx) => {
        const row = await moveVerification(this.audit, tx, found.verificationId, { to: 'FAILED', failureCode: 'REVIEW_REJECTED', actor: by }, now);
        if (row) await this.close(tx, found, { status: 'REJECTED', decidedBy: by, decisionReason: reason, decidedAt: now }, 'review_rejected', operator, reason, now);
        return row;
      });
      return this.afterMove(found, moved, now);
    }

    if (found.approvedBy.includes(by)) throw new DomainError(ErrorCode.FORBIDDEN, '同一审核员不能重复批准,须由另一名审核员复核');
    const approvedBy = [...found.approvedBy, by];
    if (approvedBy.length < this.settings.approvalsRequired) {
      const recorded = await this.db.transaction(async (tx) => {
        const updated = await reviewRepository.updateOpen(tx, found.id, { approvedBy }, found.approvedBy);
        if (!updated) return undefined;
        await auditOperatorAction(this.audit, tx, operator, 'review_approval_recorded', [found.userId], now, { reason, caseId: found.id, approvals: approvedBy.length }, found.verificationId);
        return updated;
      });
      if (!recorded) throw decidedMeanwhile();
      return recorded;
    }

    // Verification rows are never deleted (erasure empties their fields): a case's is always there.
    const held = (await verificationRepository.byId(this.db, found.verificationId))!;
    if ((await denylistRepository.matching(this.db, found.userId, held.idNumberIndex)).length) throw new DomainError(ErrorCode.IDENTITY_DENIED);
    // No two bindings of one number race for a slot here: the move appends to the audit chain, whose
    // lock is held to the commit, before bindIdentity looks for a free one. The unique index stays the guard.
    const moved = await this.db.transaction(async (tx) => {
      const row = await moveVerification(this.audit, tx, found.verificationId, { to: 'VERIFIED', actor: by }, now);
      if (!row) return undefined;
      // Refused, not failed: the operator may release the other binding (a stolen identity) and approve again.
      if (!(await bindIdentity(this.outbox, tx, row, this.settings, now))) throw new DomainError(ErrorCode.IDENTITY_ALREADY_BOUND, '该身份证已绑定其他账号,请先解除其他账号的绑定');
      await this.close(tx, found, { status: 'APPROVED', approvedBy, decidedBy: by, decisionReason: reason, decidedAt: now }, 'review_approved', operator, reason, now, found.approvedBy);
      return row;
    });
    return this.afterMove(found, moved, now);
  }

  private async close(
    tx: Executor,
    found: ReviewCaseRow,
    changes: Parameters<typeof reviewRepository.updateOpen>[2],
    action: string,
    operator: ReturnType<typeof requireOperator>,
    reason: string,
    now: Date,
    approvedBefore?: string[],
  ) {
    const closed = await reviewRepository.updateOpen(tx, found.id, changes, approvedBefore);
    // Rolls the move back too: another operator decided (or added an approval) meanwhile.
    if (!closed) throw decidedMeanwhile();
    await auditOperatorAction(this.audit, tx, operator, action, [found.userId], now, { reason, caseId: found.id }, found.verificationId);
    await this.outbox.recordReviewDecided(tx, { userId: found.userId, caseId: found.id, decision: closed.status === 'APPROVED' ? 'APPROVED' : 'REJECTED' }, now);
  }

  /**
   * The verification no longer open: another operator's decision moved it first (and closed the case
   * with it), or a new start of the user superseded it, and the case is withdrawn.
   */
  private async afterMove(found: ReviewCaseRow, moved: VerificationRow | undefined, now: Date): Promise<ReviewCaseRow> {
    if (moved) {
      await announce(this.bus, this.log, moved);
      return (await reviewRepository.byId(this.db, found.id))!;
    }
    if (!(await reviewRepository.updateOpen(this.db, found.id, { status: 'WITHDRAWN', decidedAt: now }))) throw decidedMeanwhile();
    throw new DomainError(ErrorCode.BAD_USER_INPUT, '用户已重新发起认证,该审核已撤回');
  }
}

/** Another operator decided, or added an approval, between this one's read and write. */
const decidedMeanwhile = () => new DomainError(ErrorCode.BAD_USER_INPUT, '该审核已被他人处理,请刷新后重试');

// The open case is the user's latest verification (authStatus().latestVerification): no id needs to travel.
const caseAlreadyOpen = () => new DomainError(ErrorCode.BAD_USER_INPUT, '您已有一件人工审核正在处理中,请等待审核结果');

/** Where the page that follows this case starts. */
export const caseCursor = (row: Pick<ReviewCaseRow, 'createdAt' | 'id'>) => encodeCursor(row.createdAt, row.id);
