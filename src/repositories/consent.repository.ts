import { eq } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { consents } from '../db/schema.js';

export type NewConsent = typeof consents.$inferInsert;

export const consentRepository = {
  async insert(db: Executor, row: NewConsent) {
    await db.insert(consents).values(row);
  },

  async allForUser(db: Executor, userId: string) {
    return db.select().from(consents).where(eq(consents.userId, userId)).orderBy(consents.acceptedAt);
  },
};
