import { and, eq, inArray, isNotNull, lt, or } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { verifications } from '../db/schema.js';

/** What a verification keeps once its personal fields are gone: that it happened, its status and times. */
const ERASED = { nameCipher: null, idNumberCipher: null, idNumberIndex: null, certifyUrl: null, returnUrl: null } as const;
const holdsPersonalData = or(isNotNull(verifications.nameCipher), isNotNull(verifications.idNumberCipher), isNotNull(verifications.idNumberIndex));

/** Erasure and retention: the queries that remove personal fields from verifications. */
export const personalDataRepository = {
  async eraseVerifications(db: Executor, userId: string) {
    return db
      .update(verifications)
      .set(ERASED)
      .where(and(eq(verifications.userId, userId), holdsPersonalData))
      .returning({ id: verifications.id });
  },

  /** Closed attempts that ended before `before` and still hold personal fields, a batch at a time. */
  async eraseClosedAttempts(db: Executor, statuses: ('FAILED' | 'EXPIRED' | 'CANCELED')[], before: Date, limit: number) {
    const due = db
      .select({ id: verifications.id })
      .from(verifications)
      .where(and(inArray(verifications.status, statuses), lt(verifications.completedAt, before), holdsPersonalData))
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(verifications)
      .set(ERASED)
      .where(inArray(verifications.id, due))
      .returning({ id: verifications.id, consentId: verifications.consentId });
  },
};
