import { and, asc, count, eq, gt, lt } from 'drizzle-orm';
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

  /** The master key version that wrapped the deleted key; undefined when there was none. */
  async delete(db: Executor, userId: string) {
    const [deleted] = await db.delete(userKeys).where(eq(userKeys.userId, userId)).returning({ keyVersion: userKeys.keyVersion });
    return deleted?.keyVersion;
  },

  async countOfVersion(db: Executor, version: number) {
    const [row] = await db.select({ keys: count() }).from(userKeys).where(eq(userKeys.keyVersion, version));
    return row?.keys ?? 0;
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

  /** False when the key moved or was shredded since it was read. */
  async rewrap(db: Executor, userId: string, fromVersion: number, to: { keyVersion: number; wrappedKey: Buffer; rotatedAt: Date }) {
    const updated = await db
      .update(userKeys)
      .set(to)
      .where(and(eq(userKeys.userId, userId), eq(userKeys.keyVersion, fromVersion)))
      .returning({ userId: userKeys.userId });
    return updated.length > 0;
  },

  /** How many data keys each master key version wraps: a version at 0 may leave REALNAME_MASTER_KEY. */
  async countByVersion(db: Executor) {
    return db.select({ keyVersion: userKeys.keyVersion, keys: count() }).from(userKeys).groupBy(userKeys.keyVersion).orderBy(userKeys.keyVersion);
  },
};
