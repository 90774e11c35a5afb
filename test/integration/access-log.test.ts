import { asc } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { auditEvents, pendingAuditEvents } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { AccessLog } from '../../src/services/access-log.js';
import { testAuditChain } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';

const service: Actor = { kind: 'service', subject: 'letter-backend' };
const audit = testAuditChain();

describe('access log on PostgreSQL', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function database(): Promise<{ handle: DatabaseHandle; statements: string[] }> {
    const created = await createTestDatabase();
    cleanup.push(() => created.drop());
    const handle = await openPostgres(created.url, { max: 4 });
    cleanup.push(() => handle.close());
    // Every statement the access log sends goes through `execute`: count them.
    const statements: string[] = [];
    const execute = handle.db.execute.bind(handle.db);
    handle.db.execute = ((query: Parameters<typeof execute>[0]) => {
      statements.push('execute');
      return execute(query);
    }) as typeof handle.db.execute;
    return { handle, statements };
  }

  it('stores concurrent reads with one insert, every event present, in order, and seals them into a chain that verifies', async () => {
    const { handle, statements } = await database();
    let tick = 0;
    const log = new AccessLog(handle.db, audit, () => new Date(Date.UTC(2026, 10, 1, 0, 0, 0, tick++)));
    const subjects = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    await Promise.all(subjects.map((s, i) => log.serviceRead(service, s, i % 2 ? 'verifyIdentity' : 'userAuthStatus')));
    expect(statements).toHaveLength(1);

    const queued = await handle.db.select().from(pendingAuditEvents).orderBy(asc(pendingAuditEvents.id));
    expect(queued.map((row) => row.subjectUserId)).toEqual(subjects);
    expect(queued[1]).toMatchObject({ actor: 'service:letter-backend', action: 'data.accessed', verificationId: null, detail: { read: 'verifyIdentity' }, at: new Date(Date.UTC(2026, 10, 1, 0, 0, 0, 1)) });

    expect(await log.seal()).toBe(200);
    const chained = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    expect(chained.map((row) => row.subjectUserId)).toEqual(subjects);
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true, events: 200 });
  });

  it('writes the reads of later turns while earlier batches are in flight, a few at once, and loses none', async () => {
    const { handle } = await database();
    let inFlight = 0;
    let most = 0;
    const execute = handle.db.execute.bind(handle.db);
    handle.db.execute = (async (query: Parameters<typeof execute>[0]) => {
      most = Math.max(most, ++inFlight);
      try {
        return await execute(query);
      } finally {
        inFlight--;
      }
    }) as typeof handle.db.execute;
    const log = new AccessLog(handle.db, audit, () => new Date(Date.UTC(2026, 10, 1)));
    const reads: Promise<void>[] = [];
    for (let turn = 0; turn < 12; turn++) {
      for (let i = 0; i < 20; i++) reads.push(log.serviceRead(service, `user-${turn}-${i}`, 'verifyIdentity'));
      await new Promise((next) => setImmediate(next));
    }
    await Promise.all(reads);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    expect(await handle.db.select().from(pendingAuditEvents)).toHaveLength(240);
    expect(await log.seal()).toBe(240);
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true, events: 240 });
  });

  it('fails each read of a batch the database refuses, and stores none of it', async () => {
    const { handle } = await database();
    const log = new AccessLog(handle.db, audit, () => new Date(Date.UTC(2026, 10, 1)));
    // A verification id that is no uuid: PostgreSQL refuses the whole statement.
    const reads = [log.serviceRead(service, 'a', 'verification', 'not-a-uuid'), log.serviceRead(service, 'b', 'verifyIdentity'), log.serviceRead(service, 'c', 'userAuthStatus')];
    const outcomes = await Promise.allSettled(reads);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await handle.db.select().from(pendingAuditEvents)).toEqual([]);
    await log.serviceRead(service, 'd', 'verifyIdentity');
    expect((await handle.db.select().from(pendingAuditEvents)).map((row) => row.subjectUserId)).toEqual(['d']);
  });
});
