import type { Executor } from '../db/database.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Actor } from '../domain/actor.js';
import type { AuditChain, AuditDetail } from './audit-log.js';

export type Operator = Extract<Actor, { kind: 'operator' }>;

/** Operator operations refuse everyone else: end users and the letter backend alike. */
export function requireOperator(actor: Actor): Operator {
  if (actor.kind !== 'operator') throw new DomainError(ErrorCode.FORBIDDEN);
  return actor;
}

export const operatorLabel = (operator: Operator) => `operator:${operator.operatorId}`;

/**
 * Every operator read of a person and every write, one event per person concerned, so each shows in
 * that person's `exportMyData`. The reason is the operator's own words (no ID numbers: see
 * `operatorReason`). Runs in the caller's transaction, so the trace exists exactly when the change does.
 */
export async function auditOperatorAction(
  audit: AuditChain,
  tx: Executor,
  operator: Operator,
  action: string,
  subjects: readonly (string | null)[],
  at: Date,
  detail: AuditDetail & { reason: string },
  verificationId?: string,
): Promise<void> {
  await audit.appendAll(
    tx,
    subjects.map((subjectUserId) => ({ at, actor: operatorLabel(operator), action: `operator.${action}`, subjectUserId, verificationId: verificationId ?? null, detail })),
  );
}
