import { asc, eq, isNotNull, isNull, and } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { masterKeyVersions } from '../db/schema.js';

export type MasterKeyVersionRow = typeof masterKeyVersions.$inferSelect;

/** What rotations and retirements recorded per master key version. */
export const masterKeyRepository = {
  async byVersion(db: Executor, version: number) {
    const [row] = await db.select().from(masterKeyVersions).where(eq(masterKeyVersions.version, version));
    return row;
  },

  async retired(db: Executor) {
    return db.select().from(masterKeyVersions).where(isNotNull(masterKeyVersions.retiredAt)).orderBy(asc(masterKeyVersions.version));
  },

  /** The version wraps no data key since `at`; `moved`: this run moved its last keys, so `at` replaces an older date. */
  async markEmptied(db: Executor, version: number, at: Date, moved: boolean) {
    await db
      .insert(masterKeyVersions)
      .values({ version, emptiedAt: at })
      .onConflictDoUpdate({
        target: masterKeyVersions.version,
        set: { emptiedAt: at },
        where: moved ? undefined : isNull(masterKeyVersions.emptiedAt),
      });
  },

  /** The version wraps data keys again (or still): its backups' clock has not started. */
  async markHolding(db: Executor, version: number) {
    await db.update(masterKeyVersions).set({ emptiedAt: null }).where(and(eq(masterKeyVersions.version, version), isNull(masterKeyVersions.retiredAt)));
  },

  async retire(db: Executor, version: number, at: Date) {
    await db.update(masterKeyVersions).set({ retiredAt: at }).where(eq(masterKeyVersions.version, version));
  },
};
