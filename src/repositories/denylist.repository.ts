import { and, desc, eq, or } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { denylist } from '../db/schema.js';

export type DenylistRow = typeof denylist.$inferSelect;
export type DenylistKind = DenylistRow['kind'];

export const denylistRepository = {
  /** Inserts, or keeps the existing entry; returns whether it was new. */
  async add(db: Executor, row: typeof denylist.$inferInsert) {
    const added = await db.insert(denylist).values(row).onConflictDoNothing().returning({ value: denylist.value });
    return added.length > 0;
  },

  async remove(db: Executor, kind: DenylistKind, value: string) {
    const removed = await db.delete(denylist).where(and(eq(denylist.kind, kind), eq(denylist.value, value))).returning({ value: denylist.value });
    return removed.length > 0;
  },

  async find(db: Executor, kind: DenylistKind, value: string) {
    const [row] = await db.select().from(denylist).where(and(eq(denylist.kind, kind), eq(denylist.value, value)));
    return row;
  },

  /** The entries that refuse this user or this number, if any. */
  async matching(db: Executor, userId: string, idNumberIndex?: string | null) {
    const byUser = and(eq(denylist.kind, 'USER'), eq(denylist.value, userId));
    const byNumber = idNumberIndex ? and(eq(denylist.kind, 'ID_NUMBER'), eq(denylist.value, idNumberIndex)) : undefined;
    return db.select().from(denylist).where(or(byUser, byNumber));
  },

  async all(db: Executor, limit: number) {
    return db.select().from(denylist).orderBy(desc(denylist.createdAt)).limit(limit);
  },
};
