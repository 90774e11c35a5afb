import { and, count, desc, eq, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { verifications } from '../db/schema.js';
import { OPEN_STATUSES, statesMovableTo, type VerificationStatus } from '../domain/verification-status.js';

export type VerificationRow = typeof verifications.$inferSelect;
export type NewVerification = typeof verifications.$inferInsert;

export const verificationRepository = {
  async insert(db: Executor, row: NewVerification) {
    const [inserted] = await db.insert(verifications).values(row).returning();
    return inserted!;
  },

  /** For the metrics: open records, and how many of them are past `overdueBefore` (stuck). */
  async countOpen(db: Executor, overdueBefore: Date) {
    const [row] = await db
      .select({ open: count(), overdue: count(sql`case when ${verifications.expiresAt} < ${overdueBefore.toISOString()}::timestamptz then 1 end`) })
      .from(verifications)
      .where(inArray(verifications.status, [...OPEN_STATUSES]));
    return row!;
  },

  async byId(db: Executor, id: string) {
    const [row] = await db.select().from(verifications).where(eq(verifications.id, id));
    return row;
  },

  async byIds(db: Executor, ids: readonly string[]) {
    return db.select().from(verifications).where(inArray(verifications.id, [...ids]));
  },

  async byCertifyId(db: Executor, certifyId: string) {
    const [row] = await db.select().from(verifications).where(eq(verifications.certifyId, certifyId));
    return row;
  },

  async byIdempotencyKey(db: Executor, userId: string, key: string) {
    const [row] = await db
      .select()
      .from(verifications)
      .where(and(eq(verifications.userId, userId), eq(verifications.idempotencyKey, key)));
    return row;
  },

  async openForUser(db: Executor, userId: string) {
    const [row] = await db
      .select()
      .from(verifications)
      .where(and(eq(verifications.userId, userId), inArray(verifications.status, OPEN_STATUSES)));
    return row;
  },

  async latestForUser(db: Executor, userId: string) {
    const [row] = await db
      .select()
      .from(verifications)
      .where(eq(verifications.userId, userId))
      .orderBy(desc(verifications.createdAt))
      .limit(1);
    return row;
  },

  async allForUser(db: Executor, userId: string) {
    return db.select().from(verifications).where(eq(verifications.userId, userId)).orderBy(verifications.createdAt);
  },

  /**
   * Moves a record the state machine lets move to `to`, and returns it, or nothing when it had
   * already moved: the WHERE clause makes duplicate callbacks, polls and reconciler passes no-ops
   * without any lock held across I/O.
   */
  async move(
    db: Executor,
    id: string,
    to: VerificationStatus,
    changes: Partial<Pick<NewVerification, 'failureCode' | 'providerSubCode' | 'completedAt'>> & { now: Date },
  ) {
    const { now, ...rest } = changes;
    const [row] = await db
      .update(verifications)
      .set({ status: to, updatedAt: now, ...rest })
      .where(and(eq(verifications.id, id), inArray(verifications.status, statesMovableTo(to))))
      .returning();
    return row;
  },

  /** Claims open records due for a provider check; SKIP LOCKED lets replicas share the work. */
  async claimDueForCheck(db: Executor, { olderThan, checkedBefore, now, limit }: { olderThan: Date; checkedBefore: Date; now: Date; limit: number }) {
    const due = db
      .select({ id: verifications.id })
      .from(verifications)
      .where(
        and(
          inArray(verifications.status, OPEN_STATUSES),
          // A MANUAL verification waits for an operator, not for Aliyun.
          ne(verifications.mode, 'MANUAL'),
          lt(verifications.createdAt, olderThan),
          or(isNull(verifications.checkedAt), lt(verifications.checkedAt, checkedBefore)),
        ),
      )
      .orderBy(verifications.createdAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return db.update(verifications).set({ checkedAt: now }).where(inArray(verifications.id, due)).returning();
  },
};
