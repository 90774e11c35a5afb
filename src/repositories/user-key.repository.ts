import { asc, eq, gt, lt, and } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { userKeys } from '../db/schema.js';

export const userKeyRepository = {
  async byUser(db: Executor, userId: string) {
    const [row] = await db.select().from(userKeys).where(eq(userKeys.userId, userId));
    return row;
  },

  /** Inserts unless a concurrent request won; either way returns the row that stands. */
  async insertOrGet(db: Executor, row: typeof userKeys.$inferInsert) {
    await db.insert(userKeys).values(row).onConflictDoNothing();
    return (await this.byUser(db, row.userId))!;
  },

  async delete(db: Executor, userId: string) {
    const deleted = await db.delete(userKeys).where(eq(userKeys.userId, userId)).returning({ userId: userKeys.userId });
    return deleted.length > 0;
  },

  /** A page of keys wrapped under an older master key, in user order so a rotation can resume. */
  async pageBelowVersion(db: Executor, version: number, afterUserId: string, limit: number) {
    return db
      .select()
      .from(userKeys)
      .where(and(lt(userKeys.keyVersion, version), gt(userKeys.userId, afterUserId)))
      .orderBy(asc(userKeys.userId))
      .limit(limit);
  },

  async rewrap(db: Executor, userId: string, fromVersion: number, to: { keyVersion: number; wrappedKey: Buffer; rotatedAt: Date }) {
    await db
      .update(userKeys)
      .set(to)
      .where(and(eq(userKeys.userId, userId), eq(userKeys.keyVersion, fromVersion)));
  },
};
