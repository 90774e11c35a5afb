import { and, asc, count, eq, min, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { reviewCases } from '../db/schema.js';
import type { PagePosition } from '../domain/page.js';
import { keyset } from './keyset.js';

export type ReviewCaseRow = typeof reviewCases.$inferSelect;
export type NewReviewCase = typeof reviewCases.$inferInsert;
export type ReviewStatus = ReviewCaseRow['status'];

/** The queue is worked oldest first. */
const queueOrder = keyset(reviewCases.createdAt, reviewCases.id, 'oldest first');

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

  /** Oldest first; `after` is the position of the last case of the previous page. */
  async page(db: Executor, status: ReviewStatus, after: PagePosition | undefined, limit: number) {
    return db
      .select()
      .from(reviewCases)
      .where(and(eq(reviewCases.status, status), queueOrder.after(after)))
      .orderBy(...queueOrder.orderBy)
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
