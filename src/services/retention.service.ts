import type { Database } from '../db/database.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { faceImageRepository } from '../repositories/face-image.repository.js';
import { personalDataRepository } from '../repositories/personal-data.repository.js';
import type { AuditChain, AuditEvent } from './audit-log.js';

export interface RetentionSettings {
  /** Closed attempts that did not verify keep their personal fields this long (FAILED_RETENTION_DAYS). */
  failedRetentionDays: number;
  /** An expired identity keeps its sealed name and number this long, for a renewal (IDENTITY_RENEWAL_GRACE_DAYS). */
  identityRenewalGraceDays: number;
}

export interface PurgeCounts {
  attempts: number;
  /** VERIFIED attempts purged: their identity expired past the grace, was replaced or was released. */
  identities: number;
  consents: number;
  faceImages: number;
}

export const PURGE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * PIPL Art. 19/47: what has outlived its purpose goes. Attempts that ended FAILED, EXPIRED or
 * CANCELED lose their name, number, blind index and the consent's IP and user agent after the
 * retention period; face images go at their purge_after. A VERIFIED attempt loses the same, and its
 * face image, once it no longer backs a live identity: IDENTITY_RENEWAL_GRACE_DAYS after the
 * identity expired (a renewal may use it until then), or as soon as a newer verification replaced
 * it or an operator released the binding. The records themselves stay (that an attempt happened,
 * its status, mode and times), and so does the audit trail: the counts, and one event per purged
 * identity in its owner's trail.
 */
export class RetentionService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditChain,
    private readonly settings: RetentionSettings,
    private readonly clock: () => Date,
  ) {}

  async purge(batchSize = 500): Promise<PurgeCounts> {
    const now = this.clock();
    const before = new Date(now.getTime() - this.settings.failedRetentionDays * DAY_MS);
    const expiredBefore = new Date(now.getTime() - this.settings.identityRenewalGraceDays * DAY_MS);
    const totals: PurgeCounts = { attempts: 0, identities: 0, consents: 0, faceImages: 0 };
    for (;;) {
      const batch = await this.db.transaction(async (tx) => {
        const attempts = await personalDataRepository.eraseClosedAttempts(tx, ['FAILED', 'EXPIRED', 'CANCELED'], before, batchSize);
        const outlived = await personalDataRepository.eraseOutlivedIdentities(tx, expiredBefore, batchSize);
        const consents = await consentRepository.eraseClientData(tx, [...attempts, ...outlived].flatMap((a) => a.consentId ?? []));
        const images = [
          ...(await faceImageRepository.deleteOfVerifications(tx, outlived.map((v) => v.id))),
          ...(await faceImageRepository.deleteDue(tx, now)),
        ];
        const counts = { attempts: attempts.length, identities: outlived.length, consents: consents.length, faceImages: images.length };
        const events: AuditEvent[] = outlived.map((v) => ({
          at: now,
          actor: 'retention',
          action: 'retention.identity_purged',
          subjectUserId: v.userId,
          verificationId: v.id,
          detail: { reason: v.reason },
        }));
        if (counts.attempts || counts.identities || counts.faceImages) {
          events.push({
            at: now,
            actor: 'retention',
            action: 'retention.purged',
            detail: { ...counts, retentionDays: this.settings.failedRetentionDays, renewalGraceDays: this.settings.identityRenewalGraceDays },
          });
        }
        await this.audit.appendAll(tx, events);
        return counts;
      });
      totals.attempts += batch.attempts;
      totals.identities += batch.identities;
      totals.consents += batch.consents;
      totals.faceImages += batch.faceImages;
      if (batch.attempts < batchSize && batch.identities < batchSize) return totals;
    }
  }
}
