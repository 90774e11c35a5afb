import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Actor } from '../../src/domain/actor.js';
import { AccessLog } from '../../src/services/access-log.js';

const service: Actor = { kind: 'service', subject: 'letter-backend' };
const clock = () => new Date('2026-11-01T00:00:00Z');

/** Just enough of drizzle for `insert(table).values(rows)`; records each insert's rows. */
function fakeDatabase(fail: () => boolean) {
  const inserts: unknown[][] = [];
  const db = {
    insert: () => ({
      values: async (rows: unknown[]) => {
        if (fail()) throw new Error('database unavailable');
        inserts.push(rows);
      },
    }),
  };
  return { db: db as unknown as Database, inserts };
}

describe(AccessLog.name, () => {
  it('writes reads that arrive together in one insert', async () => {
    const { db, inserts } = fakeDatabase(() => false);
    const log = new AccessLog(db, clock);
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.serviceRead(service, `user-${i}`, 'verifyIdentity')));
    expect(inserts.map((rows) => rows.length)).toEqual([5]);
  });

  it('writes nothing for users reading their own data', async () => {
    const { db, inserts } = fakeDatabase(() => false);
    await new AccessLog(db, clock).serviceRead({ kind: 'user', userId: 'u' }, 'u', 'userAuthStatus');
    expect(inserts).toEqual([]);
  });

  it('fails the read when its event cannot be stored, and recovers after', async () => {
    let down = true;
    const { db, inserts } = fakeDatabase(() => down);
    const log = new AccessLog(db, clock);
    await expect(log.serviceRead(service, 'u', 'verifyIdentity')).rejects.toThrow('database unavailable');
    down = false;
    await log.serviceRead(service, 'u', 'verifyIdentity');
    expect(inserts).toHaveLength(1);
  });
});
