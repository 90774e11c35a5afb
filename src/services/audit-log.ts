import { createHash } from 'node:crypto';
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

export function hashEvent(prevHash: string, e: Omit<AuditRow, 'seq' | 'hash' | 'prevHash'>): string {
  const fields = [prevHash, e.at.toISOString(), e.actor, e.action, e.subjectUserId ?? '', e.verificationId ?? '', canonical(e.detail)];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

const rowOf = (event: AuditEvent) => ({
  at: event.at,
  actor: event.actor,
  action: event.action,
  subjectUserId: event.subjectUserId ?? null,
  verificationId: event.verificationId ?? null,
  detail: event.detail ?? {},
});

/** Appends inside the caller's transaction, so an event exists exactly when its change does. */
export async function appendAudit(tx: Executor, event: AuditEvent): Promise<void> {
  await appendAuditEvents(tx, [event]);
}

/** Several events under one acquisition of the chain lock, in the order given. */
export async function appendAuditEvents(tx: Executor, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await auditRepository.lockChain(tx);
  let prevHash = (await auditRepository.lastHash(tx)) ?? GENESIS_HASH;
  const rows = events.map((event) => {
    const row = rowOf(event);
    const hash = hashEvent(prevHash, row);
    const chained = { ...row, prevHash, hash };
    prevHash = hash;
    return chained;
  });
  await auditRepository.insert(tx, rows);
}

/**
 * For frequent events that must not wait for the chain's lock (a service reading a user's status
 * before every letter): a plain insert now, chained by `sealQueuedAudit` moments later.
 */
export async function queueAudit(db: Executor, events: readonly AuditEvent[]): Promise<void> {
  await auditRepository.enqueue(db, events.map(rowOf));
}

/**
 * Moves queued events into the chain, a batch per transaction: taking them off the queue and
 * chaining them commit together, so none is lost or chained twice. The chain lock is taken before
 * the queue is read, so a sealer running elsewhere finishes first: when this returns, everything
 * queued before the call is chained. Returns how many this call moved.
 */
export async function sealQueuedAudit(db: Database, batchSize = 500): Promise<number> {
  let sealed = 0;
  for (;;) {
    const moved = await db.transaction(async (tx) => {
      await auditRepository.lockChain(tx);
      const queued = await auditRepository.dequeue(tx, batchSize);
      await appendAuditEvents(tx, queued);
      return queued.length;
    });
    sealed += moved;
    if (moved < batchSize) return sealed;
  }
}

export type ChainReport = { ok: true; events: number } | { ok: false; events: number; brokenAt: number; why: string };

/** Walks the whole chain in pages; reports the first row whose links or contents do not add up. */
export async function verifyAuditChain(db: Database, pageSize = 1000): Promise<ChainReport> {
  let prevHash = GENESIS_HASH;
  let after = 0;
  let events = 0;
  for (;;) {
    const page = await auditRepository.page(db, after, pageSize);
    if (page.length === 0) return { ok: true, events };
    for (const row of page) {
      if (row.prevHash !== prevHash) return { ok: false, events, brokenAt: row.seq, why: 'previous hash does not match' };
      if (hashEvent(prevHash, row) !== row.hash) return { ok: false, events, brokenAt: row.seq, why: 'contents do not match hash' };
      prevHash = row.hash;
      after = row.seq;
      events++;
    }
  }
}
