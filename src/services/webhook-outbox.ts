import { randomUUID } from 'node:crypto';
import type { Executor } from '../db/database.js';
import type { WebhookEvent, WebhookEventData, WebhookEventType, RevocationReason } from '../domain/webhook-events.js';
import { webhookRepository } from '../repositories/webhook.repository.js';

/**
 * Whether events are written at all, and how long each may be retried. Process-wide on purpose, as
 * the audit chain's key is: events are written inside many services' transactions (binding an
 * identity, deciding a review, denying, erasing), which should not each carry the setting.
 * `createApp` sets it once; unset, nothing is written (no WEBHOOK_URL, no outbox growing unread).
 */
let outbox: { maxAgeMs: number } | undefined;
export function useWebhookOutbox(settings: { maxAgeHours: number } | undefined): void {
  outbox = settings && { maxAgeMs: settings.maxAgeHours * 3_600_000 };
}
export const webhookMaxAgeMs = () => outbox?.maxAgeMs;

/**
 * Writes one event in the caller's transaction, so it exists exactly when the change does, and is
 * delivered at least once after the commit. False when webhooks are off or `dedupeKey` was used.
 */
export async function recordWebhookEvent<T extends WebhookEventType>(
  tx: Executor,
  event: { type: T; userId: string; data: WebhookEventData[T]; dedupeKey?: string },
  now: Date,
): Promise<boolean> {
  if (!outbox) return false;
  const body: WebhookEvent<T> = { id: randomUUID(), type: event.type, occurredAt: now.toISOString(), userId: event.userId, data: event.data };
  return webhookRepository.insert(tx, {
    id: body.id,
    type: event.type,
    userId: event.userId,
    occurredAt: now,
    body: JSON.stringify(body),
    dedupeKey: event.dedupeKey ?? null,
    nextAttemptAt: now,
    giveUpAt: new Date(now.getTime() + outbox.maxAgeMs),
  });
}

export function recordIdentityVerified(tx: Executor, binding: { userId: string; verificationId: string; expiresAt: Date }, now: Date) {
  return recordWebhookEvent(tx, { type: 'identity.verified', userId: binding.userId, data: { verificationId: binding.verificationId, expiresAt: binding.expiresAt.toISOString() } }, now);
}

export function recordReviewDecided(tx: Executor, decided: { userId: string; caseId: string; decision: 'APPROVED' | 'REJECTED' }, now: Date) {
  return recordWebhookEvent(tx, { type: 'review.decided', userId: decided.userId, data: { caseId: decided.caseId, decision: decided.decision } }, now);
}

/**
 * `identity.revoked` for each of these users whose identity is valid up to this change: call it
 * before the identity is removed, or (for a denial) after the entry is added, naming it in `except`.
 * Identities already expired or denied were not valid: nothing is revoked.
 */
export async function recordRevocations(
  tx: Executor,
  userIds: readonly string[],
  reason: RevocationReason,
  now: Date,
  except?: { kind: 'USER' | 'ID_NUMBER'; value: string },
): Promise<void> {
  if (!outbox) return;
  for (const { userId } of await webhookRepository.validIdentitiesOf(tx, userIds, now, except)) {
    await recordWebhookEvent(tx, { type: 'identity.revoked', userId, data: { reason } }, now);
  }
}
