import { createHmac } from 'node:crypto';
import type { Database, Executor } from '../db/database.js';
import { auditRepository, type AuditRow } from '../repositories/audit.repository.js';

export const GENESIS_HASH = '0'.repeat(64);

export type AuditDetail = Record<string, string | number | boolean | null>;
export interface AuditEvent {
  at: Date;
  actor: string;
  action: string;
  subjectUserId?: string | null;
  verificationId?: string | null;
  /** Never PII: statuses, codes, counts, versions. */
  detail?: AuditDetail;
}

function canonical(detail: AuditDetail): string {
  return JSON.stringify(Object.fromEntries(Object.entries(detail).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function hashEvent(key: Buffer, prevHash: string, e: Omit<AuditRow, 'seq' | 'hash' | 'prevHash'>): string {
  const fields = [prevHash, e.at.toISOString(), e.actor, e.action, e.subjectUserId ?? '', e.verificationId ?? '', canonical(e.detail)];
  return createHmac('sha256', key).update(JSON.stringify(fields)).digest('hex');
}

const rowOf = (event: AuditEvent) => ({
  at: event.at,
  actor: event.actor,
  action: event.action,
  subjectUserId: event.subjectUserId ?? null,
  verificationId: event.verificationId ?? null,
  detail: event.detail ?? {},
});

/** The newest link: an operator who keeps it (log line, metric) can later prove nothing after it was dropped. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type ChainReport =
  | { ok: true; events: number; head?: ChainHead }
  | { ok: false; events: number; brokenAt: number; why: string };

/**
 * The audit trail of one database, its links HMAC-SHA256 under AUDIT_CHAIN_KEY: whoever can write
 * the table but does not hold the key cannot rewrite an event and recompute the links after it.
 * Every writer of one database must hold the same key: `createApp` builds one from the config and
 * hands it to the services that write events, and the scripts build theirs from the same setting.
 */
export class AuditChain {
  readonly #key: Buffer;

  constructor(key: string) {
    this.#key = Buffer.from(key, 'utf8');
  }

  /** Appends inside the caller's transaction, so an event exists exactly when its change does. */
  async append(tx: Executor, event: AuditEvent): Promise<void> {
    await this.appendAll(tx, [event]);
  }

  /** Several events under one acquisition of the chain lock, in the order given. */
  async appendAll(tx: Executor, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await auditRepository.lockChain(tx);
    let prevHash = (await auditRepository.lastHash(tx)) ?? GENESIS_HASH;
    const rows = events.map((event) => {
      const row = rowOf(event);
      const hash = hashEvent(this.#key, prevHash, row);
      const chained = { ...row, prevHash, hash };
      prevHash = hash;
      return chained;
    });
    await auditRepository.insert(tx, rows);
  }

  /**
   * For frequent events that must not wait for the chain's lock (a service reading a user's status
   * before every letter): a plain insert now, chained by `seal` moments later.
   */
  async queue(db: Executor, events: readonly AuditEvent[]): Promise<void> {
    await auditRepository.enqueue(db, events.map(rowOf));
  }

  /**
   * Moves queued events into the chain, a batch per transaction: taking them off the queue and
   * chaining them commit together, so none is lost or chained twice. The chain lock is taken before
   * the queue is read, so a sealer running elsewhere finishes first: when this returns, everything
   * queued before the call is chained. Returns how many this call moved.
   */
  async seal(db: Database, batchSize = 500): Promise<number> {
    let sealed = 0;
    for (;;) {
      const moved = await db.transaction(async (tx) => {
        await auditRepository.lockChain(tx);
        const queued = await auditRepository.dequeue(tx, batchSize);
        await this.appendAll(tx, queued);
        return queued.length;
      });
      sealed += moved;
      if (moved < batchSize) return sealed;
    }
  }

  async head(db: Executor): Promise<ChainHead | undefined> {
    return auditRepository.head(db);
  }

  /**
   * Walks the whole chain in pages; reports the first row whose links or contents do not add up
   * under this key. Given a head kept from earlier, also proves that event is still there,
   * unchanged: events dropped from the end, or a chain rebuilt from some point on, fail here.
   */
  async verify(db: Database, options: { expectedHead?: ChainHead; pageSize?: number } = {}): Promise<ChainReport> {
    const pageSize = options.pageSize ?? 1000;
    const expected = options.expectedHead;
    let prevHash = GENESIS_HASH;
    let after = 0;
    let events = 0;
    let sawExpected = false;
    for (;;) {
      const page = await auditRepository.page(db, after, pageSize);
      if (page.length === 0) break;
      for (const row of page) {
        if (row.prevHash !== prevHash) return { ok: false, events, brokenAt: row.seq, why: 'previous hash does not match' };
        if (hashEvent(this.#key, prevHash, row) !== row.hash) return { ok: false, events, brokenAt: row.seq, why: 'contents do not match hash' };
        if (expected && row.seq === expected.seq) {
          if (row.hash !== expected.hash) return { ok: false, events, brokenAt: row.seq, why: 'differs from the head kept earlier' };
          sawExpected = true;
        }
        prevHash = row.hash;
        after = row.seq;
        events++;
      }
    }
    if (expected && !sawExpected) return { ok: false, events, brokenAt: expected.seq, why: 'the head kept earlier is missing (events were dropped)' };
    return { ok: true, events, head: events ? { seq: after, hash: prevHash } : undefined };
  }
}
