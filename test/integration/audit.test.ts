import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { auditEvents, pendingAuditEvents } from '../../src/db/schema.js';
import type { Transaction } from '../../src/db/database.js';
import { GENESIS_HASH, type AuditEvent } from '../../src/services/audit-log.js';
import { startTestApp, TEST_AUDIT_CHAIN_KEY, TEST_METRICS_TOKEN, testAuditChain } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { verifiedUser } from '../support/verified-user.js';

const run = promisify(execFile);
const audit = testAuditChain();
const event = (i: number): AuditEvent => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  actor: 'service:letter-backend',
  action: 'data.accessed',
  subjectUserId: `audit-user-${i}`,
  detail: { read: 'verifyIdentity', i },
});

/** `npm run audit:verify` against `url`: its exit code and what it printed. */
async function auditVerify(url: string, args: string[] = []) {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'audit:verify', '--', ...args], { env: { ...process.env, DATABASE_URL: url, AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/**
 * What someone with the database owner's rights can do: switch triggers off for a transaction
 * (session_replication_role = replica) and change the table at will.
 */
async function asOwner(handle: DatabaseHandle, change: (tx: Transaction) => Promise<unknown>) {
  await handle.db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await change(tx);
  });
}

/** The chain's old, unkeyed link: what an attacker who knows the algorithm but not the key computes. */
function unkeyedLink(prevHash: string, row: typeof auditEvents.$inferSelect) {
  const detail = JSON.stringify(Object.fromEntries(Object.entries(row.detail).sort(([a], [b]) => (a < b ? -1 : 1))));
  const fields = [prevHash, row.at.toISOString(), row.actor, row.action, row.subjectUserId ?? '', row.verificationId ?? '', detail];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
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
    for (let i = 1; i <= count; i++) await handle.db.transaction((tx) => audit.append(tx, event(i)));
    return { url: database.url, handle };
  }
  const seqOf = async (handle: Pick<DatabaseHandle, 'db'>, n: number) =>
    (await handle.db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(auditEvents.seq).offset(n - 1).limit(1))[0]!.seq;

  it('verifies an untouched chain', async () => {
    const { handle } = await chain(5);
    expect(await audit.verify(handle.db, { pageSize: 2 })).toEqual({ ok: true, events: 5, head: await audit.head(handle.db) });
  });

  it('reports the row whose detail was changed', async () => {
    const { handle } = await chain(5);
    const third = await seqOf(handle, 3);
    await asOwner(handle, (tx) => tx.update(auditEvents).set({ detail: { read: 'verifyIdentity', i: 99 } }).where(eq(auditEvents.seq, third)));
    expect(await audit.verify(handle.db)).toEqual({ ok: false, events: 2, brokenAt: third, why: 'contents do not match hash' });
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
    await asOwner(handle, (tx) => tx.update(auditEvents).set(change).where(eq(auditEvents.seq, third)));
    expect(await audit.verify(handle.db)).toEqual({ ok: false, events: 2, brokenAt: third, why: 'contents do not match hash' });
  });

  it('reports the row after one that was deleted', async () => {
    const { handle } = await chain(5);
    const [second, third] = [await seqOf(handle, 2), await seqOf(handle, 3)];
    await asOwner(handle, (tx) => tx.delete(auditEvents).where(eq(auditEvents.seq, second)));
    expect(await audit.verify(handle.db)).toMatchObject({ ok: false, brokenAt: third, why: 'previous hash does not match' });
  });

  it('stays whole under concurrent appends', async () => {
    const { handle } = await chain(0);
    await Promise.all(Array.from({ length: 30 }, (_, i) => handle.db.transaction((tx) => audit.append(tx, event(i)))));
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true, events: 30 });
  });

  it('chains every queued event exactly once when replicas seal at the same time', async () => {
    const { handle } = await chain(2);
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.queue(handle.db, [event(i)])));
    const sealed = await Promise.all([audit.seal(handle.db, 7), audit.seal(handle.db, 7), audit.seal(handle.db, 7)]);
    expect(sealed.reduce((a, b) => a + b, 0)).toBe(40);
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true, events: 42 });
    expect(await handle.db.select().from(pendingAuditEvents)).toEqual([]);
  });

  it('detects an event rewritten with every later link recomputed without the key', async () => {
    const { handle } = await chain(4);
    const second = await seqOf(handle, 2);
    await asOwner(handle, async (tx) => {
      await tx.update(auditEvents).set({ detail: { read: 'verifyIdentity', i: 99 } }).where(eq(auditEvents.seq, second));
      let prevHash = GENESIS_HASH;
      for (const row of await tx.select().from(auditEvents).orderBy(auditEvents.seq)) {
        const hash = unkeyedLink(prevHash, row);
        await tx.update(auditEvents).set({ prevHash, hash }).where(eq(auditEvents.seq, row.seq));
        prevHash = hash;
      }
    });
    expect(await audit.verify(handle.db)).toMatchObject({ ok: false, why: 'contents do not match hash' });
  });

  it('detects events dropped from the end, given the head kept earlier', async () => {
    const { handle } = await chain(5);
    const kept = (await audit.head(handle.db))!;
    const fourth = await seqOf(handle, 4);
    await asOwner(handle, (tx) => tx.execute(sql`delete from audit_events where seq >= ${fourth}`));
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true, events: 3 });
    expect(await audit.verify(handle.db, { expectedHead: kept })).toMatchObject({ ok: false, brokenAt: kept.seq, why: expect.stringContaining('missing') });
  });

  it('detects a head that no longer matches what was kept', async () => {
    const { handle } = await chain(3);
    const kept = (await audit.head(handle.db))!;
    expect(await audit.verify(handle.db, { expectedHead: { seq: kept.seq, hash: 'f'.repeat(64) } })).toMatchObject({ ok: false, brokenAt: kept.seq });
    expect(await audit.verify(handle.db, { expectedHead: kept })).toMatchObject({ ok: true, events: 3 });
  });

  describe('the table refuses changes (trigger)', () => {
    /** drizzle wraps the database's refusal: its message is on `cause`. */
    const refusal = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'accepted',
        (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
      );
    const recent = (i: number): AuditEvent => ({ ...event(i), at: new Date() });

    it('refuses UPDATE', async () => {
      const { handle } = await chain(2);
      expect(await refusal(handle.db.update(auditEvents).set({ actor: 'someone-else' }))).toMatch(/append-only: UPDATE refused/);
    });

    it('refuses DELETE of an event younger than 180 days', async () => {
      const { handle } = await chain(0);
      await handle.db.transaction((tx) => audit.append(tx, recent(1)));
      expect(await refusal(handle.db.delete(auditEvents))).toMatch(/append-only: DELETE refused/);
      expect(await handle.db.select().from(auditEvents)).toHaveLength(1);
    });

    it('lets an event older than 180 days be deleted', async () => {
      const { handle } = await chain(0);
      const old = { ...event(1), at: new Date(Date.now() - 200 * 86_400_000) };
      await handle.db.transaction((tx) => audit.append(tx, old));
      await handle.db.delete(auditEvents);
      expect(await handle.db.select().from(auditEvents)).toEqual([]);
    });

    it('refuses TRUNCATE', async () => {
      const { handle } = await chain(1);
      expect(await refusal(handle.db.execute(sql`truncate audit_events`))).toMatch(/append-only: TRUNCATE refused/);
    });
  });

  it('publishes its head as a log line and the audit_chain_head_seq gauge', async () => {
    const app = await startTestApp({ env: { METRICS_TOKEN: TEST_METRICS_TOKEN } });
    cleanup.push(() => app.stop());
    await app.db.transaction((tx) => app.audit.append(tx, event(1)));
    await app.publishAuditHead();
    const head = (await app.audit.head(app.db))!;
    const line = app.logs.lines.map((l) => JSON.parse(l) as { msg: string; auditHead?: unknown }).find((l) => l.msg === 'audit chain head');
    expect(line?.auditHead).toEqual(head);
    const metrics = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(new RegExp(`^audit_chain_head_seq ${head.seq}$`, 'm'));
  });

  it('keeps two apps in one process each on its own key', async () => {
    const keys = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('base64')];
    const [first, second] = await Promise.all(keys.map((key) => startTestApp({ env: { AUDIT_CHAIN_KEY: key } })));
    cleanup.push(() => first.stop(), () => second.stop());
    // Interleaved: each app's services write their events while the other app exists and writes too.
    await verifiedUser(first, 'two-keys-a');
    await verifiedUser(second, 'two-keys-b');
    await verifiedUser(first, 'two-keys-c');
    expect(await first.audit.verify(first.db)).toMatchObject({ ok: true });
    expect(await second.audit.verify(second.db)).toMatchObject({ ok: true });
    // Each chain is its own key's: under the other app's key, its first event already fails.
    expect(await second.audit.verify(first.db)).toEqual({ ok: false, events: 0, brokenAt: await seqOf(first, 1), why: 'contents do not match hash' });
    expect(await first.audit.verify(second.db)).toEqual({ ok: false, events: 0, brokenAt: await seqOf(second, 1), why: 'contents do not match hash' });
  });

  describe('npm run audit:verify', () => {
    it('exits 0 on an intact chain', async () => {
      const { url } = await chain(3);
      expect(await auditVerify(url)).toEqual({ code: 0, output: expect.stringContaining('audit chain intact: 3 events') });
    });

    it('exits 1 when the head given with --head is gone', async () => {
      const { url, handle } = await chain(3);
      const kept = (await audit.head(handle.db))!;
      expect(await auditVerify(url, ['--head', `${kept.seq}:${kept.hash}`])).toMatchObject({ code: 0 });
      await asOwner(handle, (tx) => tx.execute(sql`delete from audit_events where seq = ${kept.seq}`));
      expect(await auditVerify(url, ['--head', `${kept.seq}:${kept.hash}`])).toEqual({ code: 1, output: expect.stringContaining(`audit chain broken at seq ${kept.seq}: the head kept earlier is missing`) });
    }, 90_000);

    it('exits 1 naming the first broken link', async () => {
      const { url, handle } = await chain(4);
      const second = await seqOf(handle, 2);
      await asOwner(handle, (tx) => tx.execute(sql`update audit_events set detail = '{"read":"tampered"}' where seq = ${second}`));
      expect(await auditVerify(url)).toEqual({ code: 1, output: expect.stringContaining(`audit chain broken at seq ${second}: contents do not match hash`) });
    });
  });
});
