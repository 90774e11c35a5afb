import type { Database } from '../db/database.js';
import { signWebhook, SIGNATURE_HEADER } from '../crypto/webhook-signature.js';
import { isUuid, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { operatorReason } from '../domain/review.js';
import { decodeCursor, encodeCursor, pageSize, takePage } from '../domain/page.js';
import { lifecycleDedupeKey, retryDelayMs, type WebhookEventData } from '../domain/webhook-events.js';
import type { Logger } from '../logger.js';
import { webhookRepository, type WebhookDeliveryStatus, type WebhookEventRow } from '../repositories/webhook.repository.js';
import type { AuditChain } from './audit-log.js';
import { auditOperatorAction, requireOperator } from './operator-audit.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface WebhookSettings {
  url: string;
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
  renewalDays: number;
}

export interface WebhookServiceDeps {
  db: Database;
  audit: AuditChain;
  outbox: WebhookOutbox;
  /** Undefined without WEBHOOK_URL: operators still see the table, nothing is sent. */
  settings: WebhookSettings | undefined;
  clock: () => Date;
  log: Logger;
  random?: () => number;
  fetch?: typeof fetch;
  /** Each attempt's outcome, for the metrics. */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

export type AttemptOutcome = 'delivered' | 'retried' | 'failed';

export interface DeliveryPage {
  deliveries: WebhookEventRow[];
  hasNextPage: boolean;
  totalCount: number;
}

const DAY_MS = 86_400_000;
/** How far back the sweep looks for expiries: turning webhooks on late does not replay years of them. */
const EXPIRED_LOOK_BACK_DAYS = 7;
const SWEEP_BATCH = 500;

/**
 * Delivers the outbox at least once, signs each attempt, retries with backoff until WEBHOOK_MAX_ATTEMPTS
 * or WEBHOOK_MAX_AGE_HOURS, then leaves the row FAILED for an operator to replay. Receivers dedupe on
 * the event id: a crash between a receiver's 2xx and our record of it means one more delivery.
 */
export class WebhookService {
  private readonly db;
  private readonly audit;
  private readonly outbox;
  private readonly settings;
  private readonly clock;
  private readonly log;
  private readonly random;
  private readonly fetch;
  private readonly onAttempt;

  constructor(deps: WebhookServiceDeps) {
    ({ db: this.db, audit: this.audit, outbox: this.outbox, settings: this.settings, clock: this.clock, log: this.log } = deps);
    this.random = deps.random ?? Math.random;
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.onAttempt = deps.onAttempt ?? (() => {});
  }

  get enabled() {
    return this.settings !== undefined;
  }

  /** One round: claims what is due (SKIP LOCKED, so replicas share the work) and POSTs it. */
  async deliverDue(limit = 20): Promise<Record<AttemptOutcome, number>> {
    const tally = { delivered: 0, retried: 0, failed: 0 };
    const settings = this.settings;
    if (!settings) return tally;
    const now = this.clock();
    // Long enough for the POST and recording it; a replica that dies holding rows gives them back then.
    const leaseUntil = new Date(now.getTime() + settings.timeoutMs + 60_000);
    const claimed = await webhookRepository.claimDue(this.db, { now, leaseUntil, limit });
    await Promise.all(
      claimed.map(async (row) => {
        const outcome = await this.attempt(settings, row);
        this.onAttempt(outcome);
        tally[outcome]++;
      }),
    );
    return tally;
  }

  private async attempt(settings: WebhookSettings, row: WebhookEventRow): Promise<AttemptOutcome> {
    const sentAt = this.clock();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await this.fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'realname-webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(settings.secret, row.body, sentAt),
          'realname-event-id': row.id,
        },
        body: row.body,
        // A redirect is not an acknowledgement, and the event goes nowhere but WEBHOOK_URL.
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => {});
      if (response.ok) {
        await webhookRepository.settle(this.db, row.id, row.attempts, { status: 'DELIVERED', deliveredAt: this.clock(), lastStatusCode: statusCode, lastError: null });
        return 'delivered';
      }
      error = `HTTP_${statusCode}`;
    } catch (failure) {
      error = attemptError(failure);
    }
    const finishedAt = this.clock();
    const next = new Date(finishedAt.getTime() + retryDelayMs(row.attempts, this.random));
    const givingUp = row.attempts >= settings.maxAttempts || next > row.giveUpAt;
    await webhookRepository.settle(this.db, row.id, row.attempts, givingUp
      ? { status: 'FAILED', lastStatusCode: statusCode, lastError: error }
      : { nextAttemptAt: next, lastStatusCode: statusCode, lastError: error });
    this.log.warn({ webhookEventId: row.id, type: row.type, attempt: row.attempts, error, givingUp }, 'webhook delivery failed');
    return givingUp ? 'failed' : 'retried';
  }

  /**
   * The daily job: identities entering their renewal window get `identity.renewable`, those whose
   * expiry passed get `identity.expired`, each once per validity period (the outbox's dedupe key,
   * so replicas and repeated runs add nothing). Delivered rows past any look-back are purged.
   */
  async sweepLifecycle(): Promise<{ renewable: number; expired: number }> {
    const settings = this.settings;
    if (!settings) return { renewable: 0, expired: 0 };
    const now = this.clock();
    const renewalEnd = new Date(now.getTime() + settings.renewalDays * DAY_MS);
    const renewable = await this.sweep('identity.renewable', now, renewalEnd, now, (expiresAt) => ({ expiresAt: expiresAt.toISOString() }));
    const lookBack = new Date(now.getTime() - EXPIRED_LOOK_BACK_DAYS * DAY_MS);
    const expired = await this.sweep('identity.expired', lookBack, now, now, (expiresAt) => ({ expiredAt: expiresAt.toISOString() }));
    const keepDays = Math.max(settings.renewalDays, EXPIRED_LOOK_BACK_DAYS) + 90;
    await webhookRepository.purgeDelivered(this.db, new Date(now.getTime() - keepDays * DAY_MS));
    return { renewable, expired };
  }

  private async sweep<T extends 'identity.renewable' | 'identity.expired'>(type: T, from: Date, to: Date, now: Date, dataOf: (expiresAt: Date) => WebhookEventData[T]): Promise<number> {
    let written = 0;
    for (;;) {
      const batch = await webhookRepository.expiringBetween(this.db, type, from, to, SWEEP_BATCH);
      for (const { userId, expiresAt } of batch) {
        if (await this.outbox.record(this.db, { type, userId, data: dataOf(expiresAt), dedupeKey: lifecycleDedupeKey(type, userId, expiresAt) }, now)) written++;
      }
      if (batch.length < SWEEP_BATCH) return written;
    }
  }

  backlog() {
    return webhookRepository.backlog(this.db);
  }

  /** Operators: newest first. */
  async list(actor: Actor, status: WebhookDeliveryStatus | undefined, first: number, after: string | null | undefined): Promise<DeliveryPage> {
    requireOperator(actor);
    const rows = await webhookRepository.page(this.db, status, after ? decodeCursor(after) : undefined, pageSize(first, 100) + 1);
    const page = takePage(rows, first);
    return { deliveries: page.rows, hasNextPage: page.hasNextPage, totalCount: await webhookRepository.count(this.db, status) };
  }

  /** Operators: sends the same event (same id and body) again, with a fresh retry budget; audited. */
  async replay(actor: Actor, id: string, rawReason: string): Promise<WebhookEventRow> {
    const operator = requireOperator(actor);
    const reason = operatorReason(rawReason);
    const found = isUuid(id) ? await webhookRepository.byId(this.db, id) : undefined;
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND);
    const now = this.clock();
    const giveUpAt = this.outbox.giveUpAt(now);
    if (!this.settings || !giveUpAt) throw new DomainError(ErrorCode.BAD_USER_INPUT, '未配置 WEBHOOK_URL,无法重新投递');
    return this.db.transaction(async (tx) => {
      const replayed = (await webhookRepository.replay(tx, found.id, { now, giveUpAt }))!;
      await auditOperatorAction(this.audit, tx, operator, 'replay_webhook', [found.userId], now, { reason, eventId: found.id, eventType: found.type, previousStatus: found.status });
      return replayed;
    });
  }
}

/** A code for the outbox and the logs: the kind of failure, never a message or a body. */
function attemptError(failure: unknown): string {
  // The only abort is AbortSignal.timeout's, which rejects with a TimeoutError.
  if (failure instanceof Error && failure.name === 'TimeoutError') return 'TIMEOUT';
  for (let e: unknown = failure; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return 'NETWORK_ERROR';
}

/** Where the page that follows this delivery starts. */
export const deliveryCursor = (row: Pick<WebhookEventRow, 'occurredAt' | 'id'>) => encodeCursor(row.occurredAt, row.id);
