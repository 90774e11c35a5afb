import type { Database } from '../db/database.js';
import { actorLabel, type Actor } from '../domain/actor.js';
import { queueAudit, sealQueuedAudit, type AuditEvent } from './audit-log.js';

export type ServiceRead = 'userAuthStatus' | 'verifyIdentity' | 'verification';

interface Waiting {
  event: AuditEvent;
  stored: () => void;
  failed: (error: unknown) => void;
}

const MAX_BATCH = 500;

/**
 * Every time a service (the letter backend) reads a user's data, a `data.accessed` event without
 * PII. The gate asks before every letter, so a read neither takes the chain's global lock (events
 * are queued, then chained in batches by `seal`) nor pays a round trip of its own: reads arriving
 * while an insert is in flight share the next one. Each read still waits until its event is
 * stored, so no answer leaves without its trace.
 */
export class AccessLog {
  #waiting: Waiting[] = [];
  #writing: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  /** A user reading their own data leaves no event: only a service reads someone else's. */
  serviceRead(actor: Actor, subjectUserId: string, read: ServiceRead, verificationId?: string): Promise<void> {
    if (actor.kind !== 'service') return Promise.resolve();
    const event = { at: this.clock(), actor: actorLabel(actor), action: 'data.accessed', subjectUserId, verificationId: verificationId ?? null, detail: { read } };
    return new Promise((stored, failed) => {
      this.#waiting.push({ event, stored, failed });
      this.#writing ??= this.#write();
    });
  }

  async #write() {
    await Promise.resolve(); // reads of the same tick join the first insert
    while (this.#waiting.length) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      try {
        await queueAudit(this.db, batch.map((w) => w.event));
        for (const w of batch) w.stored();
      } catch (error) {
        for (const w of batch) w.failed(error);
      }
    }
    this.#writing = undefined;
  }

  /** Chains what is queued; run every second and once more at shutdown. */
  seal(): Promise<number> {
    return sealQueuedAudit(this.db);
  }
}
