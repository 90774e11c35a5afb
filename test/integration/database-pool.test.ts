import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { createTestDatabase } from '../support/database.js';

const LOCK = 915_001;

describe('database_connection_pool', () => {
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openPostgres(database.url, { max: 3 });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('counts transactions holding connections, and those waiting beyond the pool', async () => {
    expect(handle.poolUsage()).toEqual({ inUse: 0, idle: 3, waiting: 0 });
    const holder = postgres(database.url, { max: 1, onnotice: () => {} });
    await holder`select pg_advisory_lock(${LOCK})`;
    let started = 0;
    // Each transaction blocks on the lock the holder keeps, so five are in flight at once.
    const blocked = Array.from({ length: 5 }, () =>
      handle.db.transaction(async (tx) => {
        started++;
        await tx.execute(sql`select pg_advisory_xact_lock(${LOCK})`);
      }),
    );
    while (started < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handle.poolUsage()).toEqual({ inUse: 3, idle: 0, waiting: 2 });
    await holder`select pg_advisory_unlock(${LOCK})`;
    await Promise.all(blocked);
    await holder.end();
    expect(handle.poolUsage()).toEqual({ inUse: 0, idle: 3, waiting: 0 });
  });

  it('counts a query outside a transaction while it runs', async () => {
    const holder = postgres(database.url, { max: 1, onnotice: () => {} });
    await holder`select pg_advisory_lock(${LOCK})`;
    const query = Promise.resolve(handle.db.execute(sql`select pg_advisory_lock_shared(${LOCK}), pg_advisory_unlock_shared(${LOCK})`));
    while (handle.poolUsage()!.inUse === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handle.poolUsage()).toEqual({ inUse: 1, idle: 2, waiting: 0 });
    await holder`select pg_advisory_unlock(${LOCK})`;
    await query;
    await holder.end();
    expect(handle.poolUsage()!.inUse).toBe(0);
  });

  it('reports no migration pending on a migrated database', async () => {
    expect(await handle.pendingMigrations()).toBe(0);
  });
});
