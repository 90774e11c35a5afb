import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { createTestDatabase } from '../support/database.js';

/** What this session (connection) has prepared, as PostgreSQL lists it. */
const preparedHere = sql`select statement from pg_prepared_statements where statement like '%pending_audit_events%' and statement not like '%pg_prepared_statements%'`;

describe('statements drizzle sends without a name', () => {
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so every statement below meets the same session's prepared statements.
    handle = await openPostgres(database.url, { max: 1 });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('are prepared once per connection and reused, so a hot statement costs one round trip', async () => {
    const event = { at: new Date(), actor: 'service:letters', action: 'data.accessed', subjectUserId: 'u-prepared', verificationId: null, detail: { read: 'verifyIdentity' } };
    await handle.db.transaction(async (tx) => {
      await auditRepository.enqueue(tx, [event]);
      await auditRepository.enqueue(tx, [event, event]);
      const prepared = (await tx.execute(preparedHere)) as unknown as { statement: string }[];
      // Prepared, and once: the second insert (another batch size, the same text) reused it.
      expect(prepared.map((row) => row.statement)).toHaveLength(1);
      expect(prepared[0]!.statement).toContain('insert into pending_audit_events');
    });
    const [{ queued }] = (await handle.db.execute(sql`select count(*)::int as queued from pending_audit_events`)) as unknown as [{ queued: number }];
    expect(queued).toBe(3);
  });
});
