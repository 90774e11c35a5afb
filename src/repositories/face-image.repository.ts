import { eq, inArray, lt } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { faceImages } from '../db/schema.js';

export type NewFaceImage = typeof faceImages.$inferInsert;

/** Face images kept under FACE_IMAGE_RETENTION_DAYS, sealed under their owner's data key. */
export const faceImageRepository = {
  async insert(db: Executor, row: NewFaceImage) {
    await db.insert(faceImages).values(row);
  },

  async ofUser(db: Executor, userId: string) {
    return db.select().from(faceImages).where(eq(faceImages.userId, userId)).orderBy(faceImages.createdAt);
  },

  async deleteOfUser(db: Executor, userId: string) {
    return db.delete(faceImages).where(eq(faceImages.userId, userId)).returning({ id: faceImages.verificationId });
  },

  async deleteOfVerifications(db: Executor, verificationIds: string[]) {
    if (verificationIds.length === 0) return [];
    return db.delete(faceImages).where(inArray(faceImages.verificationId, verificationIds)).returning({ id: faceImages.verificationId });
  },

  async deleteDue(db: Executor, now: Date) {
    return db.delete(faceImages).where(lt(faceImages.purgeAfter, now)).returning({ id: faceImages.verificationId });
  },
};
