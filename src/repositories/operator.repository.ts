import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents, identities, lockoutResets, verifications } from '../db/schema.js';

/** The reads and writes behind the operators' support tools. */
export const operatorRepository = {
  /** Accounts holding this number: bound to it, or having tried it. */
  async accountsByIndex(db: Executor, idNumberIndex: string) {
    const bound = await db.select({ userId: identities.userId }).from(identities).where(eq(identities.idNumberIndex, idNumberIndex));
    const tried = await db.selectDistinct({ userId: verifications.userId }).from(verifications).where(eq(verifications.idNumberIndex, idNumberIndex));
    return { bound: bound.map((r) => r.userId), tried: tried.map((r) => r.userId) };
  },

  /** A user's audit events, newest first; `beforeSeq` pages back in time. */
  async auditPage(db: Executor, userId: string, beforeSeq: number | undefined, limit: number) {
    const older = beforeSeq === undefined ? undefined : lt(auditEvents.seq, beforeSeq);
    return db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectUserId, userId), older))
      .orderBy(desc(auditEvents.seq))
      .limit(limit);
  },

  async resetLockout(db: Executor, userId: string, resetAt: Date, resetBy: string) {
    await db.insert(lockoutResets).values({ userId, resetAt, resetBy }).onConflictDoUpdate({ target: lockoutResets.userId, set: { resetAt, resetBy } });
  },
};
