import { randomUUID } from 'node:crypto';
import type { Executor } from '../db/database.js';
import type { WebhookEvent, WebhookEventData, WebhookEventType, RevocationReason } from '../domain/webhook-events.js';
import { webhookRepository } from '../repositories/webhook.repository.js';

/**
 * The webhook events a change writes beside itself, in the caller's transaction, so each exists
 * exactly when its change does and is delivered at least once after the commit. Built once by
 * `createApp`: without settings (no WEBHOOK_URL) it writes nothing, so no outbox grows unread.
 */
export class WebhookOutbox {
  readonly #maxAgeMs: number | undefined;

  constructor(settings: { maxAgeHours: number } | undefined) {
    this.#maxAgeMs = settings && settings.maxAgeHours * 3_600_000;
  }

  /** When an event written (or replayed) now stops being retried; undefined when webhooks are off. */
  giveUpAt(now: Date): Date | undefined {
    return this.#maxAgeMs === undefined ? undefined : new Date(now.getTime() + this.#maxAgeMs);
  }

  /** False when webhooks are off or `dedupeKey` was used. */
  async record<T extends WebhookEventType>(
    tx: Executor,
    event: { type: T; userId: string; data: WebhookEventData[T]; dedupeKey?: string },
    now: Date,
  ): Promise<boolean> {
    const giveUpAt = this.giveUpAt(now);
    if (!giveUpAt) return false;
    const body: WebhookEvent<T> = { id: randomUUID(), type: event.type, occurredAt: now.toISOString(), userId: event.userId, data: event.data };
    return webhookRepository.insert(tx, {
      id: body.id,
      type: event.type,
      userId: event.userId,
      occurredAt: now,
      body: JSON.stringify(body),
      dedupeKey: event.dedupeKey ?? null,
      nextAttemptAt: now,
      giveUpAt,
    });
  }

  recordIdentityVerified(tx: Executor, binding: { userId: string; verificationId: string; expiresAt: Date }, now: Date) {
    return this.record(tx, { type: 'identity.verified', userId: binding.userId, data: { verificationId: binding.verificationId, expiresAt: binding.expiresAt.toISOString() } }, now);
  }

  recordReviewDecided(tx: Executor, decided: { userId: string; caseId: string; decision: 'APPROVED' | 'REJECTED' }, now: Date) {
    return this.record(tx, { type: 'review.decided', userId: decided.userId, data: { caseId: decided.caseId, decision: decided.decision } }, now);
  }

  /**
   * `identity.revoked` for each of these users whose identity is valid up to this change: call it
   * before the identity is removed, or (for a denial) after the entry is added, naming it in `except`.
   * Identities already expired or denied were not valid: nothing is revoked.
   */
  async recordRevocations(
    tx: Executor,
    userIds: readonly string[],
    reason: RevocationReason,
    now: Date,
    except?: { kind: 'USER' | 'ID_NUMBER'; value: string },
  ): Promise<void> {
    if (this.#maxAgeMs === undefined) return;
    for (const { userId } of await webhookRepository.validIdentitiesOf(tx, userIds, now, except)) {
      await this.record(tx, { type: 'identity.revoked', userId, data: { reason } }, now);
    }
  }
}
