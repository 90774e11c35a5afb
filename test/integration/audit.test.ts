import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { auditEvents, pendingAuditEvents } from '../../src/db/schema.js';
import { appendAudit, queueAudit, sealQueuedAudit, verifyAuditChain, type AuditEvent } from '../../src/services/audit-log.js';
import { createTestDatabase } from '../support/database.js';

const run = promisify(execFile);
const event = (i: number): AuditEvent => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  actor: 'service:letter-backend',
  action: 'data.accessed',
  subjectUserId: `audit-user-${i}`,
  detail: { read: 'verifyIdentity', i },
});

/** `npm run audit:verify` against `url`: its exit code and what it printed. */
async function auditVerify(url: string) {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'audit:verify'], { env: { ...process.env, DATABASE_URL: url } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('audit chain', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** A fresh database holding `count` chained events. */
  async function chain(count: number): Promise<{ url: string; handle: DatabaseHandle }> {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const handle = await openPostgres(database.url, { max: 10 });
    cleanup.push(() => handle.close());
    for (let i = 1; i <= count; i++) await handle.db.transaction((tx) => appendAudit(tx, event(i)));
    return { url: database.url, handle };
  }
  const seqOf = async (handle: DatabaseHandle, n: number) =>
    (await handle.db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(auditEvents.seq).offset(n - 1).limit(1))[0]!.seq;

  it('verifies an untouched chain', async () => {
    const { handle } = await chain(5);
    expect(await verifyAuditChain(handle.db, 2)).toEqual({ ok: true, events: 5 });
  });

  it('reports the row whose detail was changed', async () => {
    const { handle } = await chain(5);
    const third = await seqOf(handle, 3);
    await handle.db.update(auditEvents).set({ detail: { read: 'verifyIdentity', i: 99 } }).where(eq(auditEvents.seq, third));
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: false, events: 2, brokenAt: third, why: 'contents do not match hash' });
  });

  it.each([
    ['actor', { actor: 'service:someone-else' }],
    ['subject', { subjectUserId: 'audit-user-other' }],
    ['verification', { verificationId: '00000000-0000-4000-8000-000000000000' }],
    ['action', { action: 'data.exported' }],
    ['time', { at: new Date(Date.UTC(2025, 0, 1)) }],
  ])('reports the row whose %s was changed', async (_what, change) => {
    const { handle } = await chain(5);
    const third = await seqOf(handle, 3);
    await handle.db.update(auditEvents).set(change).where(eq(auditEvents.seq, third));
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: false, events: 2, brokenAt: third, why: 'contents do not match hash' });
  });

  it('reports the row after one that was deleted', async () => {
    const { handle } = await chain(5);
    const [second, third] = [await seqOf(handle, 2), await seqOf(handle, 3)];
    await handle.db.delete(auditEvents).where(eq(auditEvents.seq, second));
    expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: false, brokenAt: third, why: 'previous hash does not match' });
  });

  it('stays whole under concurrent appends', async () => {
    const { handle } = await chain(0);
    await Promise.all(Array.from({ length: 30 }, (_, i) => handle.db.transaction((tx) => appendAudit(tx, event(i)))));
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, events: 30 });
  });

  it('chains every queued event exactly once when replicas seal at the same time', async () => {
    const { handle } = await chain(2);
    await Promise.all(Array.from({ length: 40 }, (_, i) => queueAudit(handle.db, [event(i)])));
    const sealed = await Promise.all([sealQueuedAudit(handle.db, 7), sealQueuedAudit(handle.db, 7), sealQueuedAudit(handle.db, 7)]);
    expect(sealed.reduce((a, b) => a + b, 0)).toBe(40);
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, events: 42 });
    expect(await handle.db.select().from(pendingAuditEvents)).toEqual([]);
  });

  describe('npm run audit:verify', () => {
    it('exits 0 on an intact chain', async () => {
      const { url } = await chain(3);
      expect(await auditVerify(url)).toEqual({ code: 0, output: expect.stringContaining('audit chain intact: 3 events') });
    });

    it('exits 1 naming the first broken link', async () => {
      const { url, handle } = await chain(4);
      const second = await seqOf(handle, 2);
      await handle.db.execute(sql`update audit_events set detail = '{"read":"tampered"}' where seq = ${second}`);
      expect(await auditVerify(url)).toEqual({ code: 1, output: expect.stringContaining(`audit chain broken at seq ${second}: contents do not match hash`) });
    });
  });
});
