import type { Database } from '../db/database.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { ReviewDocumentType } from '../domain/documents.js';
import { operatorReason } from '../domain/review.js';
import { isUserId, type Actor } from '../domain/actor.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { denylistRepository, type DenylistKind, type DenylistRow } from '../repositories/denylist.repository.js';
import { operatorRepository } from '../repositories/operator.repository.js';
import type { AuditChain } from './audit-log.js';
import { auditOperatorAction, operatorLabel, requireOperator } from './operator-audit.js';
import type { RequestMeta } from '../domain/application.js';
import type { StartGuard } from './start-guard.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface DenylistChange {
  kind: DenylistKind;
  /** The user id, or for a number the first characters of its blind index (never the number). */
  reference: string;
  changed: boolean;
  /** Accounts bound to or having tried the number (or the user itself): each got an audit event. */
  affectedAccounts: number;
}

/**
 * Who may not verify. Numbers are held as their blind index, so the list never holds a number; a
 * denied user or number is refused at start (IDENTITY_DENIED) and fails the letter gate (DENIED).
 */
export class DenylistService {
  constructor(
    private readonly db: Database,
    private readonly blindIndex: BlindIndex,
    private readonly bus: EventBus,
    private readonly audit: AuditChain,
    private readonly outbox: WebhookOutbox,
    private readonly clock: () => Date,
    private readonly log: Logger,
  ) {}

  /** `documentType`: a travel permit's or a foreign card's number (scoped as requestDocumentReview indexes it). */
  denyIdNumber(actor: Actor, idCardNumber: string, reason: string, documentType?: ReviewDocumentType | null) {
    return this.change(actor, 'ID_NUMBER', this.blindIndex.ofDocument(idCardNumber, documentType), reason, true);
  }

  allowIdNumber(actor: Actor, idCardNumber: string, reason: string, documentType?: ReviewDocumentType | null) {
    return this.change(actor, 'ID_NUMBER', this.blindIndex.ofDocument(idCardNumber, documentType), reason, false);
  }

  denyUser(actor: Actor, userId: string, reason: string) {
    return this.change(actor, 'USER', checkUserId(userId), reason, true);
  }

  allowUser(actor: Actor, userId: string, reason: string) {
    return this.change(actor, 'USER', checkUserId(userId), reason, false);
  }

  async entries(actor: Actor): Promise<DenylistRow[]> {
    requireOperator(actor);
    return denylistRepository.all(this.db, 500);
  }

  /** Wraps the start guard: a denied account is refused first; a denied number after the budgets, so probing the list costs like any start. */
  guard(inner: StartGuard): StartGuard {
    return {
      check: async (userId: string, idNumberIndex: string, meta: RequestMeta) => {
        if (await denylistRepository.find(this.db, 'USER', userId)) throw new DomainError(ErrorCode.IDENTITY_DENIED);
        await inner.check(userId, idNumberIndex, meta);
        if (await denylistRepository.find(this.db, 'ID_NUMBER', idNumberIndex)) throw new DomainError(ErrorCode.IDENTITY_DENIED);
      },
    };
  }

  private async change(actor: Actor, kind: DenylistKind, value: string, rawReason: string, deny: boolean): Promise<DenylistChange> {
    const operator = requireOperator(actor);
    const reason = operatorReason(rawReason);
    const now = this.clock();
    const reference = kind === 'USER' ? value : value.slice(0, 12);
    const { changed, affected } = await this.db.transaction(async (tx) => {
      const changed = deny
        ? await denylistRepository.add(tx, { kind, value, reason, createdBy: operatorLabel(operator), createdAt: now })
        : await denylistRepository.remove(tx, kind, value);
      const accounts = kind === 'USER' ? { bound: [value], tried: [] } : await operatorRepository.accountsByIndex(tx, value);
      const affected = [...new Set([...accounts.bound, ...accounts.tried])];
      if (deny && changed) await this.outbox.recordRevocations(tx, accounts.bound, 'DENIED', now, { kind, value });
      // Each account holding the number sees the operator's action in its own trail.
      const action = `${deny ? 'deny' : 'allow'}_${kind === 'USER' ? 'user' : 'id_number'}`;
      await auditOperatorAction(this.audit, tx, operator, action, affected.length ? affected : [null], now, { reason, changed, ...(kind === 'ID_NUMBER' ? { indexRef: reference } : {}) });
      return { changed, affected };
    });
    // Cached gate answers of every account concerned go at once, on every replica.
    for (const userId of affected) {
      await this.bus.publish('userStatus', undefined, { userId }).catch((error: unknown) => this.log.warn({ err: String(error) }, 'publish failed; gate caches expire'));
    }
    return { kind, reference, changed, affectedAccounts: affected.length };
  }
}

export function checkUserId(userId: string): string {
  if (!isUserId(userId)) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'userId 无效');
  return userId;
}
