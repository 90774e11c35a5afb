import type { webhookEventTypes } from '../db/schema.js';

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** Why an identity stopped being valid before its expiry. */
export type RevocationReason = 'RELEASED' | 'DENIED' | 'ERASED';

/** What each event says beside its id, type, time and user id: ids, times and codes, never PII. */
export interface WebhookEventData {
  'identity.verified': { verificationId: string; expiresAt: string };
  'identity.renewable': { expiresAt: string };
  'identity.expired': { expiredAt: string };
  'identity.revoked': { reason: RevocationReason };
  'review.decided': { caseId: string; decision: 'APPROVED' | 'REJECTED' };
}

export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  id: string;
  type: T;
  occurredAt: string;
  userId: string;
  data: WebhookEventData[T];
}

/** The sweep's events come once per identity and validity period, which its expiry names. */
export const lifecycleDedupeKey = (type: 'identity.renewable' | 'identity.expired', userId: string, expiresAt: Date) => `${type}:${userId}:${expiresAt.getTime()}`;

const RETRY_BASE_MS = 30_000;
const RETRY_CAP_MS = 3_600_000;

/**
 * Exponential backoff with jitter: 30 s doubling to an hour, each delay drawn from its upper half so
 * replicas retrying after one outage spread out instead of arriving together. `attempt` counts from 1.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
