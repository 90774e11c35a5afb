import type { Database } from '../db/database.js';
import { actorLabel, type Actor } from '../domain/actor.js';
import type { AuditChain, AuditEvent } from './audit-log.js';

export type ServiceRead = 'userAuthStatus' | 'verifyIdentity' | 'verification';

interface Waiting {
  event: AuditEvent;
  stored: () => void;
  failed: (error: unknown) => void;
}

const MAX_BATCH = 500;
/** Batches written at once: a read waits for its own batch's commit, not for the one before it too. */
const MAX_IN_FLIGHT = 4;

/**
 * Every time a service (the letter backend) reads a user's data, a `data.accessed` event without
 * PII. The gate asks before every letter, so a read neither takes the chain's global lock (events
 * are queued, then chained in batches by `seal`) nor pays a round trip of its own: the events of
 * one event-loop turn (every request that turn read off its sockets) go in one multi-row insert,
 * written once the turn's I/O is done (`setImmediate`). Up to MAX_IN_FLIGHT batches are written at
 * once, so a read waits for its own batch's commit only, not for the one before it as well; beyond
 * that, reads wait for the next free slot. Each read waits until its own batch is stored, so no
 * answer leaves without its trace; a batch that fails fails every read in it.
 */
export class AccessLog {
  #waiting: Waiting[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditChain,
    private readonly clock: () => Date,
  ) {}

  /** A user reading their own data leaves no event: only a service reads someone else's. */
  serviceRead(actor: Actor, subjectUserId: string, read: ServiceRead, verificationId?: string): Promise<void> {
    if (actor.kind !== 'service') return Promise.resolve();
    const event = { at: this.clock(), actor: actorLabel(actor), action: 'data.accessed', subjectUserId, verificationId: verificationId ?? null, detail: { read } };
    return new Promise((stored, failed) => {
      this.#waiting.push({ event, stored, failed });
      this.#schedule();
    });
  }

  /** One write-out per turn, however many reads asked; it takes what the free slots allow. */
  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#inFlight < MAX_IN_FLIGHT && this.#waiting.length) void this.#write(this.#waiting.splice(0, MAX_BATCH));
    });
  }

  async #write(batch: Waiting[]) {
    this.#inFlight++;
    try {
      await this.audit.queue(this.db, batch.map((w) => w.event));
      for (const w of batch) w.stored();
    } catch (error) {
      for (const w of batch) w.failed(error);
    } finally {
      this.#inFlight--;
      this.#schedule();
    }
  }

  /** Chains what is queued; run every second and once more at shutdown. */
  seal(): Promise<number> {
    return this.audit.seal(this.db);
  }
}
