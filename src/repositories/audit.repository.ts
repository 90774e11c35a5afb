import { asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents, pendingAuditEvents } from '../db/schema.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;
export type NewPendingAuditRow = typeof pendingAuditEvents.$inferInsert;

/** Held for the length of an append's transaction, so the chain has one writer at a time. */
const AUDIT_CHAIN_LOCK = 7_251_444;

export const auditRepository = {
  async lockChain(db: Executor) {
    await db.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  },

  async lastHash(db: Executor) {
    const [row] = await db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    return row?.hash;
  },

  async head(db: Executor) {
    const [row] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    return row;
  },

  /** Rows get their seq in array order: the caller holds the chain lock, so nothing interleaves. */
  async insert(db: Executor, rows: NewAuditRow[]) {
    if (rows.length) await db.insert(auditEvents).values(rows);
  },

  async page(db: Executor, afterSeq: number, limit: number) {
    return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
  },

  async forUser(db: Executor, userId: string) {
    return db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, userId)).orderBy(asc(auditEvents.seq));
  },

  async enqueue(db: Executor, rows: NewPendingAuditRow[]) {
    if (rows.length) await db.insert(pendingAuditEvents).values(rows);
  },

  /** Takes the oldest queued events off the queue; the caller holds the chain lock. */
  async dequeue(db: Executor, limit: number) {
    const oldest = db.select({ id: pendingAuditEvents.id }).from(pendingAuditEvents).orderBy(asc(pendingAuditEvents.id)).limit(limit);
    const rows = await db.delete(pendingAuditEvents).where(inArray(pendingAuditEvents.id, oldest)).returning();
    return rows.sort((a, b) => a.id - b.id);
  },
};
