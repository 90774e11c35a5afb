import { asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents } from '../db/schema.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;

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

  async insert(db: Executor, row: NewAuditRow) {
    await db.insert(auditEvents).values(row);
  },

  async page(db: Executor, afterSeq: number, limit: number) {
    return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
  },

  async forUser(db: Executor, userId: string) {
    return db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, userId)).orderBy(asc(auditEvents.seq));
  },

  async countBefore(db: Executor, before: Date) {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(lt(auditEvents.at, before));
    return row?.n ?? 0;
  },
};
