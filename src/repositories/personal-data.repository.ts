import { and, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { identities, verifications } from '../db/schema.js';

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

  /**
   * VERIFIED attempts that still hold personal fields but no longer back a live identity, a batch at
   * a time: bound to an identity that expired before `expiredBefore`, or bound to none at all (a
   * newer verification replaced it, or an operator released the binding). A VERIFIED attempt is
   * bound in the transaction that verifies it, so an unbound one is never a binding in progress.
   */
  async eraseOutlivedIdentities(db: Executor, expiredBefore: Date, limit: number) {
    const due = db
      .select({ id: verifications.id })
      .from(verifications)
      .leftJoin(identities, eq(identities.verificationId, verifications.id))
      .where(and(eq(verifications.status, 'VERIFIED'), holdsPersonalData, or(sql`${identities.userId} is null`, lt(identities.expiresAt, expiredBefore))))
      .limit(limit)
      .for('update', { of: verifications, skipLocked: true });
    return db
      .update(verifications)
      .set(ERASED)
      .where(inArray(verifications.id, due))
      .returning({
        id: verifications.id,
        userId: verifications.userId,
        consentId: verifications.consentId,
        // Spelled out: in RETURNING drizzle leaves columns unqualified, which the subqueries would
        // resolve against identities.
        reason: sql<'EXPIRED' | 'REPLACED' | 'RELEASED'>`case
          when exists (select 1 from identities i where i.verification_id = "verifications"."id") then 'EXPIRED'
          when exists (select 1 from identities i where i.user_id = "verifications"."user_id") then 'REPLACED'
          else 'RELEASED' end`,
      });
  },
};
