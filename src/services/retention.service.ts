import type { Database } from '../db/database.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { faceImageRepository } from '../repositories/face-image.repository.js';
import { personalDataRepository } from '../repositories/personal-data.repository.js';
import { appendAudit } from './audit-log.js';

export interface RetentionSettings {
  /** Closed attempts that did not verify keep their personal fields this long (FAILED_RETENTION_DAYS). */
  failedRetentionDays: number;
}

export interface PurgeCounts {
  attempts: number;
  consents: number;
  faceImages: number;
}

export const PURGE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * PIPL Art. 19/47: what has outlived its purpose goes. Attempts that ended FAILED, EXPIRED or
 * CANCELED lose their name, number, blind index and the consent's IP and user agent after the
 * retention period; face images go at their purge_after. The records themselves stay (that an
 * attempt happened, its status and times), and so does the audit trail, which records the counts.
 */
export class RetentionService {
  constructor(
    private readonly db: Database,
    private readonly settings: RetentionSettings,
    private readonly clock: () => Date,
  ) {}

  async purge(batchSize = 500): Promise<PurgeCounts> {
    const now = this.clock();
    const before = new Date(now.getTime() - this.settings.failedRetentionDays * DAY_MS);
    const totals: PurgeCounts = { attempts: 0, consents: 0, faceImages: 0 };
    for (;;) {
      const batch = await this.db.transaction(async (tx) => {
        const attempts = await personalDataRepository.eraseClosedAttempts(tx, ['FAILED', 'EXPIRED', 'CANCELED'], before, batchSize);
        const consents = await consentRepository.eraseClientData(tx, attempts.flatMap((a) => (a.consentId ? [a.consentId] : [])));
        const images = await faceImageRepository.deleteDue(tx, now);
        const counts = { attempts: attempts.length, consents: consents.length, faceImages: images.length };
        if (counts.attempts || counts.faceImages) {
          await appendAudit(tx, { at: now, actor: 'retention', action: 'retention.purged', detail: { ...counts, retentionDays: this.settings.failedRetentionDays } });
        }
        return counts;
      });
      totals.attempts += batch.attempts;
      totals.consents += batch.consents;
      totals.faceImages += batch.faceImages;
      if (batch.attempts < batchSize) return totals;
    }
  }
}
