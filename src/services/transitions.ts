import type { Executor } from '../db/database.js';
import { isTerminal, type FailureCode, type VerificationStatus } from '../domain/verification-status.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { Logger } from '../logger.js';
import type { AuditChain } from './audit-log.js';

export interface Move {
  to: VerificationStatus;
  failureCode?: FailureCode;
  providerSubCode?: string;
  /** Who caused it, for the audit trail: `user:<id>`, `service:<sub>`, `provider`, `reconciler`. */
  actor: string;
}

/**
 * Moves a verification exactly once, with its audit event, inside the caller's transaction (so
 * whatever else the move implies commits with it). Returns the moved row, or undefined when
 * someone else moved it first.
 */
export async function moveVerification(audit: AuditChain, tx: Executor, id: string, move: Move, now: Date): Promise<VerificationRow | undefined> {
  const failureCode = move.failureCode ?? null;
  const providerSubCode = move.providerSubCode ?? null;
  const moved = await verificationRepository.move(tx, id, move.to, {
    now,
    failureCode,
    providerSubCode,
    ...(isTerminal(move.to) ? { completedAt: now } : {}),
  });
  if (!moved) return undefined;
  await audit.append(tx, {
    at: now,
    actor: move.actor,
    action: `verification.${move.to.toLowerCase()}`,
    subjectUserId: moved.userId,
    verificationId: moved.id,
    detail: { failureCode, providerSubCode },
  });
  return moved;
}

/**
 * Tells subscribers and gate caches. The database already holds the truth, so a broker outage only
 * delays delivery: subscribers re-read state when they reconnect, and caches expire.
 */
export async function announce(bus: EventBus, log: Logger, row: VerificationRow, change: 'started' | 'moved' = 'moved'): Promise<void> {
  const payload = {
    verificationId: row.id,
    userId: row.userId,
    status: row.status,
    at: row.updatedAt.toISOString(),
    change,
    createdAt: row.createdAt.toISOString(),
    failureCode: row.failureCode,
  };
  const results = await Promise.allSettled([
    bus.publish('verificationResult', row.id, payload),
    bus.publish('userStatus', undefined, { userId: row.userId }),
  ]);
  for (const r of results) {
    if (r.status === 'rejected') log.warn({ verificationId: row.id, err: String(r.reason) }, 'publish failed; state is in the database');
  }
}
