import { asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents, pendingAuditEvents } from '../db/schema.js';

const chainedRow = (r: NewAuditRow) => ({ ...pendingRow(r), prev_hash: r.prevHash, hash: r.hash });

function pendingRow(r: NewPendingAuditRow) {
  return {
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    subject_user_id: r.subjectUserId ?? null,
    verification_id: r.verificationId ?? null,
    detail: r.detail,
  };
}

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;
export type NewPendingAuditRow = typeof pendingAuditEvents.$inferInsert;

/** Held for the length of an append's transaction, so the chain has one writer at a time. */
export const AUDIT_CHAIN_LOCK = 7_251_444;

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
    if (rows.length === 0) return;
    // As `enqueue`: one JSON parameter (the sealer moves hundreds of rows a second under the gate).
    await db.execute(sql`insert into audit_events (at, actor, action, subject_user_id, verification_id, detail, prev_hash, hash)
      select e.at, e.actor, e.action, e.subject_user_id, e.verification_id, e.detail, e.prev_hash, e.hash
      from rows from (jsonb_to_recordset(${JSON.stringify(rows.map(chainedRow))}::jsonb)
        as (at timestamptz, actor text, action text, subject_user_id text, verification_id uuid, detail jsonb, prev_hash text, hash text))
        with ordinality as e(at, actor, action, subject_user_id, verification_id, detail, prev_hash, hash, n)
      order by e.n`);
  },

  async page(db: Executor, afterSeq: number, limit: number) {
    return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
  },

  async forUser(db: Executor, userId: string) {
    return db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, userId)).orderBy(asc(auditEvents.seq));
  },

  /**
   * One statement for any number of rows, its one parameter a JSON array: nothing to build per row
   * or column, and the same text every time, so the driver prepares it once. Rows get their ids in
   * array order.
   */
  async enqueue(db: Executor, rows: NewPendingAuditRow[]) {
    if (rows.length === 0) return;
    await db.execute(sql`insert into pending_audit_events (at, actor, action, subject_user_id, verification_id, detail)
      select e.at, e.actor, e.action, e.subject_user_id, e.verification_id, e.detail
      from rows from (jsonb_to_recordset(${JSON.stringify(rows.map(pendingRow))}::jsonb)
        as (at timestamptz, actor text, action text, subject_user_id text, verification_id uuid, detail jsonb))
        with ordinality as e(at, actor, action, subject_user_id, verification_id, detail, n)
      order by e.n`);
  },

  /** Takes the oldest queued events off the queue; the caller holds the chain lock. */
  async dequeue(db: Executor, limit: number) {
    const oldest = db.select({ id: pendingAuditEvents.id }).from(pendingAuditEvents).orderBy(asc(pendingAuditEvents.id)).limit(limit);
    const rows = await db.delete(pendingAuditEvents).where(inArray(pendingAuditEvents.id, oldest)).returning();
    return rows.sort((a, b) => a.id - b.id);
  },
};
