import { and, asc, count, eq, gt, min, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { reviewCases } from '../db/schema.js';

export type ReviewCaseRow = typeof reviewCases.$inferSelect;
export type NewReviewCase = typeof reviewCases.$inferInsert;
export type ReviewStatus = ReviewCaseRow['status'];

export const reviewRepository = {
  async insert(db: Executor, row: NewReviewCase) {
    const [inserted] = await db.insert(reviewCases).values(row).returning();
    return inserted!;
  },

  async byId(db: Executor, id: string) {
    const [row] = await db.select().from(reviewCases).where(eq(reviewCases.id, id));
    return row;
  },

  async openForUser(db: Executor, userId: string) {
    const [row] = await db
      .select()
      .from(reviewCases)
      .where(and(eq(reviewCases.userId, userId), eq(reviewCases.status, 'OPEN')));
    return row;
  },

  async allForUser(db: Executor, userId: string) {
    return db.select().from(reviewCases).where(eq(reviewCases.userId, userId)).orderBy(asc(reviewCases.createdAt));
  },

  /** Oldest first; `after` is the (createdAt, id) of the last case of the previous page. */
  async page(db: Executor, status: ReviewStatus, after: { createdAt: Date; id: string } | undefined, limit: number) {
    const afterCursor = after
      ? or(gt(reviewCases.createdAt, after.createdAt), and(eq(reviewCases.createdAt, after.createdAt), gt(reviewCases.id, after.id)))
      : undefined;
    return db
      .select()
      .from(reviewCases)
      .where(and(eq(reviewCases.status, status), afterCursor))
      .orderBy(asc(reviewCases.createdAt), asc(reviewCases.id))
      .limit(limit);
  },

  async countByStatus(db: Executor, status: ReviewStatus) {
    const [row] = await db.select({ n: count() }).from(reviewCases).where(eq(reviewCases.status, status));
    return row!.n;
  },

  async queue(db: Executor) {
    const [row] = await db.select({ open: count(), oldest: min(reviewCases.createdAt) }).from(reviewCases).where(eq(reviewCases.status, 'OPEN'));
    return { open: row!.open, oldest: row!.oldest };
  },

  /** Changes an OPEN case only; undefined when someone decided it first. */
  async updateOpen(db: Executor, id: string, changes: Partial<Pick<NewReviewCase, 'status' | 'approvedBy' | 'decidedBy' | 'decisionReason' | 'decidedAt'>>, approvedBefore?: string[]) {
    const unchanged = approvedBefore ? sql`${reviewCases.approvedBy} = ${JSON.stringify(approvedBefore)}::jsonb` : undefined;
    const [row] = await db
      .update(reviewCases)
      .set(changes)
      .where(and(eq(reviewCases.id, id), eq(reviewCases.status, 'OPEN'), unchanged))
      .returning();
    return row;
  },
};
