import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Actor } from '../../src/domain/actor.js';
import { AccessLog } from '../../src/services/access-log.js';
import { AuditChain } from '../../src/services/audit-log.js';

const service: Actor = { kind: 'service', subject: 'letter-backend' };
const clock = () => new Date('2026-11-01T00:00:00Z');
const dialect = new PgDialect();
/** Queuing takes no key; a chain is needed all the same. */
const audit = new AuditChain('unit-test-chain-key');

/**
 * Just enough of drizzle for the queue's one statement: records each insert's rows (its JSON
 * parameter). `hold` keeps an insert in flight until released.
 */
function fakeDatabase(fail: () => boolean) {
  const inserts: { subject_user_id: string }[][] = [];
  let hold: Promise<void> | undefined;
  let release = () => {};
  const counts = { started: 0 };
  const db = {
    execute: async (statement: SQL) => {
      const { sql, params } = dialect.sqlToQuery(statement);
      expect(sql).toMatch(/^insert into pending_audit_events/);
      counts.started++;
      await hold;
      if (fail()) throw new Error('database unavailable');
      inserts.push(JSON.parse(params[0] as string));
    },
  };
  return {
    db: db as unknown as Database,
    inserts,
    counts,
    holdNext() {
      hold = new Promise((resolve) => (release = resolve));
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

describe(AccessLog.name, () => {
  it('writes the reads of one event-loop turn in one insert, every event in it', async () => {
    const { db, inserts } = fakeDatabase(() => false);
    const log = new AccessLog(db, audit, clock);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.serviceRead(service, `user-${i}`, 'verifyIdentity')));
    expect(inserts).toHaveLength(1);
    expect(inserts[0]!.map((row) => row.subject_user_id)).toEqual(Array.from({ length: 50 }, (_, i) => `user-${i}`));
  });

  it('answers no read before its batch is stored', async () => {
    const { db, inserts, holdNext } = fakeDatabase(() => false);
    const log = new AccessLog(db, audit, clock);
    const release = holdNext();
    let answered = false;
    const read = log.serviceRead(service, 'u', 'verifyIdentity').then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    release();
    await read;
    expect(inserts).toHaveLength(1);
  });

  it('puts the reads arriving while an insert is in flight in the next one', async () => {
    const { db, inserts, holdNext } = fakeDatabase(() => false);
    const log = new AccessLog(db, audit, clock);
    const release = holdNext();
    const first = log.serviceRead(service, 'first', 'verifyIdentity');
    await new Promise((resolve) => setImmediate(resolve));
    const later = Array.from({ length: 3 }, (_, i) => log.serviceRead(service, `later-${i}`, 'userAuthStatus'));
    release();
    await Promise.all([first, ...later]);
    expect(inserts.map((rows) => rows.map((row) => row.subject_user_id))).toEqual([['first'], ['later-0', 'later-1', 'later-2']]);
  });

  it('writes at most four batches at once; the reads of later turns wait for a free one, then go together', async () => {
    const { db, inserts, counts, holdNext } = fakeDatabase(() => false);
    const log = new AccessLog(db, audit, clock);
    const release = holdNext();
    const reads = [];
    for (let turn = 0; turn < 6; turn++) {
      reads.push(log.serviceRead(service, `turn-${turn}`, 'verifyIdentity'));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts.started).toBe(4);
    release();
    await Promise.all(reads);
    expect(inserts.map((rows) => rows.map((row) => row.subject_user_id))).toEqual([['turn-0'], ['turn-1'], ['turn-2'], ['turn-3'], ['turn-4', 'turn-5']]);
  });

  it('writes nothing for users reading their own data', async () => {
    const { db, inserts } = fakeDatabase(() => false);
    await new AccessLog(db, audit, clock).serviceRead({ kind: 'user', userId: 'u' }, 'u', 'userAuthStatus');
    await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toEqual([]);
  });

  it('fails every read of a batch that cannot be stored, and recovers after', async () => {
    let down = true;
    const { db, inserts } = fakeDatabase(() => down);
    const log = new AccessLog(db, audit, clock);
    const reads = Array.from({ length: 4 }, (_, i) => log.serviceRead(service, `user-${i}`, 'verifyIdentity'));
    const outcomes = await Promise.allSettled(reads);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    down = false;
    await log.serviceRead(service, 'u', 'verifyIdentity');
    expect(inserts).toHaveLength(1);
  });
});
