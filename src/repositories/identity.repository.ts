import { and, eq, ne } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { identities } from '../db/schema.js';

export type IdentityRow = typeof identities.$inferSelect;
export type NewIdentity = typeof identities.$inferInsert;

export const identityRepository = {
  async byUser(db: Executor, userId: string) {
    const [row] = await db.select().from(identities).where(eq(identities.userId, userId));
    return row;
  },

  /** Slots of this number held by accounts other than `userId`. */
  async slotsHeldByOthers(db: Executor, idNumberIndex: string, userId: string) {
    const rows = await db
      .select({ slot: identities.slot })
      .from(identities)
      .where(and(eq(identities.idNumberIndex, idNumberIndex), ne(identities.userId, userId)));
    return rows.map((r) => r.slot);
  },

  /** One row per user: re-verifying after expiry replaces the old binding. */
  async upsert(db: Executor, row: NewIdentity) {
    const { userId: _key, ...changes } = row;
    await db.insert(identities).values(row).onConflictDoUpdate({ target: identities.userId, set: changes });
  },

  /** A passed step-up: the face-check time moves, the lifetime does not. */
  async markFaceChecked(db: Executor, userId: string, at: Date) {
    const rows = await db.update(identities).set({ faceCheckedAt: at }).where(eq(identities.userId, userId)).returning({ userId: identities.userId });
    return rows.length > 0;
  },

  async deleteForUser(db: Executor, userId: string) {
    return db.delete(identities).where(eq(identities.userId, userId)).returning({ userId: identities.userId });
  },
};
