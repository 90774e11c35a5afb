import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { desc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { newDataKey, parseMasterKeys } from '../../src/crypto/envelope.js';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { auditEvents, masterKeyVersions, userKeys } from '../../src/db/schema.js';
import { retireMasterKeyVersion, RetirementRefused } from '../../src/services/key-retirement.js';
import { rotateDataKeys } from '../../src/services/key-rotation.js';
import { gql, startTestApp, TEST_AUDIT_CHAIN_KEY, TEST_MASTER_KEY, testAuditChain, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { DELETE, EXPORT, verifiedUser } from '../support/verified-user.js';

const V1 = TEST_MASTER_KEY;
const V2 = `v2:${Buffer.alloc(32, 8).toString('base64')}`;
const BOTH = `${V1},${V2}`;
const audit = testAuditChain();
const DAY_MS = 86_400_000;
const T0 = new Date('2027-01-10T00:00:00Z');
const at = (days: number) => () => new Date(T0.getTime() + days * DAY_MS);
const run = promisify(execFile);

describe(retireMasterKeyVersion.name, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function database() {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    return db;
  }
  async function appOn(url: string, env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp({ databaseUrl: url, env });
    cleanup.push(() => app.stop());
    return app;
  }
  /** A database with two verified users under v1, and a handle on it (the apps that wrote them stopped). */
  async function seeded() {
    const { url } = await database();
    const app = await startTestApp({ databaseUrl: url, env: { REALNAME_MASTER_KEY: V1 } });
    const users = [await verifiedUser(app, 'retire-a'), await verifiedUser(app, 'retire-b')];
    await app.stop();
    const handle = await openPostgres(url, { max: 2 });
    cleanup.push(() => handle.close());
    return { url, handle, users };
  }
  const retire = (handle: DatabaseHandle, days: number, backupRetentionDays = 30) => retireMasterKeyVersion(handle.db, audit, 1, { backupRetentionDays, clock: at(days) });

  it('refuses a version that still wraps data keys', async () => {
    const { handle } = await seeded();
    await expect(retire(handle, 0)).rejects.toThrow(new RetirementRefused('v1 still wraps 2 data keys: run `npm run keys:rotate` with a newer key in REALNAME_MASTER_KEY first'));
  });

  it('refuses a version no rotation has found empty', async () => {
    const { url } = await database();
    const handle = await openPostgres(url, { max: 2 });
    cleanup.push(() => handle.close());
    await expect(retire(handle, 0)).rejects.toThrow(/no rotation has found v1 empty yet/);
  });

  it('refuses until BACKUP_RETENTION_DAYS have passed since the rotation emptied it, then retires it, audited', async () => {
    const { handle } = await seeded();
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(0) });
    await expect(retire(handle, 29.9)).rejects.toThrow(`retire v1 on or after ${at(30)().toISOString()}`);
    expect(await retire(handle, 30)).toEqual({ version: 1, retiredAt: at(30)(), already: false });
    const [last] = await handle.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(last).toMatchObject({ action: 'keys.retired', detail: { version: 1, emptiedAt: T0.toISOString(), backupRetentionDays: 30 } });
    expect(await audit.verify(handle.db)).toMatchObject({ ok: true });
    expect(await retire(handle, 40)).toEqual({ version: 1, retiredAt: at(30)(), already: true });
  });

  it('counts from the rotation that moved its last keys, when keys came back under it meanwhile', async () => {
    const { handle } = await seeded();
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(0) });
    // A replica still running with v1 alone wraps a new user's key under it.
    const late = parseMasterKeys(V1).wrapDataKey(newDataKey(), 'retire-late');
    await handle.db.insert(userKeys).values({ userId: 'retire-late', keyVersion: late.version, wrappedKey: late.ciphertext, createdAt: at(10)() });
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(20) });
    await expect(retire(handle, 31)).rejects.toThrow(`retire v1 on or after ${at(50)().toISOString()}`);
    expect((await retire(handle, 50)).already).toBe(false);
  });

  it('forgets the date a version emptied when a rotation finds keys under it again', async () => {
    const { handle } = await seeded();
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(0) });
    const late = parseMasterKeys(V1).wrapDataKey(newDataKey(), 'retire-unreadable');
    await handle.db.insert(userKeys).values({ userId: 'retire-unreadable', keyVersion: 1, wrappedKey: late.ciphertext.subarray(1), createdAt: at(10)() });
    expect((await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(20) })).unreadable).toBe(1);
    expect(await handle.db.select().from(masterKeyVersions)).toEqual([{ version: 1, emptiedAt: null, retiredAt: null }]);
    await handle.db.delete(userKeys).where(eq(userKeys.userId, 'retire-unreadable'));
    await expect(retire(handle, 100)).rejects.toThrow(/no rotation has found v1 empty yet/);
  });

  it('keeps the service from starting while a retired version is still in REALNAME_MASTER_KEY, and starts without it', async () => {
    const { url, handle, users } = await seeded();
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: at(0) });
    await retire(handle, 30);
    const refused = await startTestApp({ databaseUrl: url, env: { REALNAME_MASTER_KEY: BOTH } }).then(
      (app) => app.stop().then(() => undefined),
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems).toEqual([expect.stringMatching(/^REALNAME_MASTER_KEY: v1 was retired on .*: remove it from REALNAME_MASTER_KEY on every replica/)]);
    const app = await appOn(url, { REALNAME_MASTER_KEY: V2 });
    const res = await gql(app, EXPORT, {}, await tokenFor(users[0]!.userId));
    expect(res.data!.exportMyData.verifications[0].realName).toBe(users[0]!.name);
  });

  it('runs as `npm run keys:retire -- <version>`: refuses with a non-zero exit, retires once allowed', async () => {
    const { url, handle } = await seeded();
    const env = { ...process.env, DATABASE_URL: url, AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY, BACKUP_RETENTION_DAYS: '30' };
    const refused = await run('npm', ['run', '--silent', 'keys:retire', '--', 'v1'], { env }).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('refused: v1 still wraps 2 data keys') });

    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH));
    await handle.db.update(masterKeyVersions).set({ emptiedAt: new Date(Date.now() - 31 * DAY_MS) });
    // Built by the first run's prekeys:retire.
    const { stdout } = await run('node', ['dist/scripts/retire-master-key.js', 'v1'], { env });
    expect(stdout).toContain('retired: v1');
    expect(stdout).toContain('remove v1 from REALNAME_MASTER_KEY on every replica and destroy every copy of it');
  }, 120_000);
});

describe('a deletion receipt during a rotation', () => {
  it('names every configured version up to the one that wrapped the data key, and the earliest they can be retired', async () => {
    const db = await createTestDatabase();
    const app = await startTestApp({ databaseUrl: db.url, env: { REALNAME_MASTER_KEY: BOTH, BACKUP_RETENTION_DAYS: '45' } });
    try {
      const user = await verifiedUser(app, 'receipt-rotating');
      const receipt = (await gql(app, DELETE, {}, user.token)).data!.deleteMyData;
      expect(receipt.backupKeyVersions).toEqual([1, 2]);
      expect(Date.parse(receipt.backupsUnreadableFrom) - Date.parse(receipt.erasedAt)).toBe(45 * DAY_MS);
      expect(receipt.notice).toContain('数据备份最长保留 45 天,其中的副本仍以主密钥 v1、v2 封装');
    } finally {
      await app.stop();
      await db.drop();
    }
  });
});
