import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { consentPurposes, consents } from '../db/schema.js';

export type NewConsent = typeof consents.$inferInsert;
export type ConsentPurpose = (typeof consentPurposes)[number];

const holdsClientData = or(isNotNull(consents.clientIp), isNotNull(consents.userAgent));

export const consentRepository = {
  async insert(db: Executor, row: NewConsent) {
    await db.insert(consents).values(row);
  },

  async allForUser(db: Executor, userId: string) {
    return db.select().from(consents).where(eq(consents.userId, userId)).orderBy(consents.acceptedAt);
  },

  /** Keeps that consent was given (version, time); drops where from (IP, user agent). */
  async eraseClientDataOfUser(db: Executor, userId: string) {
    return db
      .update(consents)
      .set({ clientIp: null, userAgent: null })
      .where(and(eq(consents.userId, userId), holdsClientData))
      .returning({ id: consents.id });
  },

  async eraseClientData(db: Executor, ids: string[]) {
    if (ids.length === 0) return [];
    return db
      .update(consents)
      .set({ clientIp: null, userAgent: null })
      .where(and(inArray(consents.id, ids), holdsClientData))
      .returning({ id: consents.id });
  },
};
