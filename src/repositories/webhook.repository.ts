import { and, asc, count, eq, gt, inArray, lt, lte, min, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { denylist, identities, verifications, webhookEvents } from '../db/schema.js';
import { DOCUMENT_TYPES } from '../domain/documents.js';
import type { PagePosition } from '../domain/page.js';
import { keyset } from './keyset.js';

export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type NewWebhookEvent = typeof webhookEvents.$inferInsert;
export type WebhookDeliveryStatus = WebhookEventRow['status'];

/** Operators look at the newest deliveries first. */
const deliveryOrder = keyset(webhookEvents.occurredAt, webhookEvents.id, 'newest first');

type Outcome = Partial<Pick<NewWebhookEvent, 'status' | 'nextAttemptAt' | 'lastStatusCode' | 'lastError' | 'deliveredAt'>>;

/** Neither the account nor the number it is bound to is denied (`except`: the entry being added). */
const notDenied = (except?: { kind: 'USER' | 'ID_NUMBER'; value: string }) => sql`not exists (
  select 1 from ${denylist}
  where ((${denylist.kind} = 'USER' and ${denylist.value} = ${identities.userId}) or (${denylist.kind} = 'ID_NUMBER' and ${denylist.value} = ${identities.idNumberIndex}))
  ${except ? sql`and not (${denylist.kind} = ${except.kind} and ${denylist.value} = ${except.value})` : sql``}
)`;

/** The same key as `lifecycleDedupeKey`, computed in SQL, so the sweep skips identities already told. */
const notYetSent = (type: string) => sql`not exists (
  select 1 from ${webhookEvents}
  where ${webhookEvents.dedupeKey} = ${type} || ':' || ${identities.userId} || ':' || floor(extract(epoch from ${identities.expiresAt}) * 1000)::bigint::text
)`;

/** `faceCheckable` in SQL: the identity's verification is of a document Aliyun verifies online, so a face check can renew it. */
const faceCheckable = sql`exists (
  select 1 from ${verifications}
  where ${verifications.id} = ${identities.verificationId} and ${inArray(verifications.documentType, [...DOCUMENT_TYPES])}
)`;

export const webhookRepository = {
  /** A repeat of a dedupe key is no insert: false. */
  async insert(db: Executor, row: NewWebhookEvent) {
    const inserted = await db.insert(webhookEvents).values(row).onConflictDoNothing().returning({ id: webhookEvents.id });
    return inserted.length > 0;
  },

  async byId(db: Executor, id: string) {
    const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
    return row;
  },

  /**
   * Takes due deliveries for this replica: SKIP LOCKED leaves rows another replica is claiming, and
   * the lease (`leaseUntil` as the next attempt) brings a row back if this one dies mid-POST.
   */
  async claimDue(db: Executor, { now, leaseUntil, limit }: { now: Date; leaseUntil: Date; limit: number }) {
    const due = db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.status, 'PENDING'), lte(webhookEvents.nextAttemptAt, now)))
      .orderBy(asc(webhookEvents.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(webhookEvents)
      .set({ attempts: sql`${webhookEvents.attempts} + 1`, nextAttemptAt: leaseUntil, lastAttemptAt: now })
      .where(inArray(webhookEvents.id, due))
      .returning();
  },

  /** Records an attempt's outcome, unless an operator replayed the row meanwhile (its attempts restarted). */
  async settle(db: Executor, id: string, attempts: number, outcome: Outcome) {
    await db
      .update(webhookEvents)
      .set(outcome)
      .where(and(eq(webhookEvents.id, id), eq(webhookEvents.status, 'PENDING'), eq(webhookEvents.attempts, attempts)));
  },

  async replay(db: Executor, id: string, { now, giveUpAt }: { now: Date; giveUpAt: Date }) {
    const [row] = await db
      .update(webhookEvents)
      .set({ status: 'PENDING', attempts: 0, nextAttemptAt: now, giveUpAt, deliveredAt: null })
      .where(eq(webhookEvents.id, id))
      .returning();
    return row;
  },

  /** Newest first; `after` is the position of the last row of the previous page. */
  async page(db: Executor, status: WebhookDeliveryStatus | undefined, after: PagePosition | undefined, limit: number) {
    return db
      .select()
      .from(webhookEvents)
      .where(and(status ? eq(webhookEvents.status, status) : undefined, deliveryOrder.after(after)))
      .orderBy(...deliveryOrder.orderBy)
      .limit(limit);
  },

  async count(db: Executor, status: WebhookDeliveryStatus | undefined) {
    const [row] = await db.select({ n: count() }).from(webhookEvents).where(status ? eq(webhookEvents.status, status) : undefined);
    return row!.n;
  },

  async backlog(db: Executor) {
    const rows = await db
      .select({ status: webhookEvents.status, n: count(), oldest: min(webhookEvents.occurredAt) })
      .from(webhookEvents)
      .where(inArray(webhookEvents.status, ['PENDING', 'FAILED']))
      .groupBy(webhookEvents.status);
    const of = (status: WebhookDeliveryStatus) => rows.find((r) => r.status === status);
    return { pending: of('PENDING')?.n ?? 0, failed: of('FAILED')?.n ?? 0, oldestPendingAt: of('PENDING')?.oldest ?? null };
  },

  /** Identities of these users still valid at `now` and not denied: the ones a revocation ends early. */
  async validIdentitiesOf(db: Executor, userIds: readonly string[], now: Date, except?: { kind: 'USER' | 'ID_NUMBER'; value: string }) {
    if (userIds.length === 0) return [];
    return db
      .select({ userId: identities.userId })
      .from(identities)
      .where(and(inArray(identities.userId, [...userIds]), gt(identities.expiresAt, now), notDenied(except)));
  },

  /** Valid, not denied identities expiring within (`from`, `to`], not yet told `type` for this expiry; only renewable ones are told `identity.renewable`. */
  async expiringBetween(db: Executor, type: 'identity.renewable' | 'identity.expired', from: Date, to: Date, limit: number): Promise<{ userId: string; expiresAt: Date }[]> {
    const window: SQL = and(gt(identities.expiresAt, from), lte(identities.expiresAt, to))!;
    return db
      .select({ userId: identities.userId, expiresAt: identities.expiresAt })
      .from(identities)
      .where(and(window, notDenied(), notYetSent(type), type === 'identity.renewable' ? faceCheckable : undefined))
      .orderBy(asc(identities.expiresAt))
      .limit(limit);
  },

  /** Delivered rows past the sweep's look-back carry nothing the sweep still needs. */
  async purgeDelivered(db: Executor, before: Date) {
    const purged = await db
      .delete(webhookEvents)
      .where(and(eq(webhookEvents.status, 'DELIVERED'), lt(webhookEvents.occurredAt, before)))
      .returning({ id: webhookEvents.id });
    return purged.length;
  },
};
