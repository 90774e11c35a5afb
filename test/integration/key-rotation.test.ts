import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { parseMasterKeys, type MasterKeyring } from '../../src/crypto/envelope.js';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { auditEvents, masterKeyVersions, userKeys } from '../../src/db/schema.js';
import { rotateDataKeys } from '../../src/services/key-rotation.js';
import { gql, startTestApp, TEST_AUDIT_CHAIN_KEY, TEST_MASTER_KEY, testAuditChain, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { EXPORT, verifiedUser, type TestApplicant } from '../support/verified-user.js';

const V1 = TEST_MASTER_KEY;
const V2 = `v2:${Buffer.alloc(32, 8).toString('base64')}`;
const V3 = `v3:${Buffer.alloc(32, 6).toString('base64')}`;
/** Version 1 under another secret: its data keys do not open. */
const WRONG_V1 = `v1:${Buffer.alloc(32, 1).toString('base64')}`;
const BOTH = `${V1},${V2}`;
const audit = testAuditChain();
const run = promisify(execFile);

describe(rotateDataKeys.name, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function database() {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    return db;
  }
  async function appOn(url: string, masterKey: string): Promise<TestApp> {
    const app = await startTestApp({ databaseUrl: url, env: { REALNAME_MASTER_KEY: masterKey } });
    cleanup.push(() => app.stop());
    return app;
  }
  async function handleOn(url: string): Promise<DatabaseHandle> {
    const handle = await openPostgres(url, { max: 2 });
    cleanup.push(() => handle.close());
    return handle;
  }
  /** Three verified users written under `masterKey`; the app is stopped afterwards. */
  async function seed(url: string, masterKey = V1) {
    const app = await startTestApp({ databaseUrl: url, env: { REALNAME_MASTER_KEY: masterKey } });
    const users = [await verifiedUser(app, 'Rot-a', { name: '张三' }), await verifiedUser(app, 'rot-b', { name: '李四' }), await verifiedUser(app, 'rot-c', { name: '王五' })];
    await app.stop();
    return users;
  }
  async function exportedApplicants(app: TestApp, users: TestApplicant[]) {
    return Promise.all(
      users.map(async (u) => {
        const res = await gql(app, EXPORT, {}, await tokenFor(u.userId));
        expect(res.errors).toBeUndefined();
        return res.data!.exportMyData.verifications.map((v: { realName: string; idCardNumber: string }) => [v.realName, v.idCardNumber]);
      }),
    );
  }
  const expected = (users: TestApplicant[]) => users.map((u) => [[u.name, u.idCardNumber]]);

  it('lets a restarted app with the same key read everything', async () => {
    const { url } = await database();
    const users = await seed(url);
    const app = await appOn(url, V1);
    expect(await exportedApplicants(app, users)).toEqual(expected(users));
  });

  it('re-wraps every data key under the newest master key, page by page, and audits the counts', async () => {
    const { url } = await database();
    await seed(url);
    const { db } = await handleOn(url);
    const report = await rotateDataKeys(db, audit, parseMasterKeys(BOTH), { pageSize: 1 });
    expect(report).toEqual({ toVersion: 2, rewrapped: 3, skipped: 0, unreadable: 0, keysByVersion: [{ keyVersion: 2, keys: 3 }] });
    expect(await db.select().from(auditEvents).where(eq(auditEvents.action, 'keys.rotated'))).toMatchObject([
      { actor: 'operator', subjectUserId: null, detail: { toVersion: 2, rewrapped: 3, skipped: 0, unreadable: 0 } },
    ]);
  });

  it('records the older version as emptied, and the current one not at all', async () => {
    const { url } = await database();
    await seed(url);
    const { db } = await handleOn(url);
    const at = new Date('2026-11-20T08:00:00Z');
    await rotateDataKeys(db, audit, parseMasterKeys(BOTH), { clock: () => at });
    expect(await db.select().from(masterKeyVersions)).toEqual([{ version: 1, emptiedAt: at, retiredAt: null }]);
  });

  it('never records the current version as emptied, even with no data key at all', async () => {
    const { url } = await database();
    const { db } = await handleOn(url);
    const at = new Date('2026-11-20T08:00:00Z');
    expect(await rotateDataKeys(db, audit, parseMasterKeys(BOTH), { clock: () => at })).toMatchObject({ rewrapped: 0, keysByVersion: [] });
    expect(await db.select().from(masterKeyVersions)).toEqual([{ version: 1, emptiedAt: at, retiredAt: null }]);
  });

  it('changes nothing when run again, not even the day the old version emptied', async () => {
    const { url } = await database();
    await seed(url);
    const handle = await handleOn(url);
    const first = new Date('2026-11-20T08:00:00Z');
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: () => first });
    const before = await handle.db.select().from(userKeys).orderBy(userKeys.userId);
    const again = await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH), { clock: () => new Date('2026-11-27T08:00:00Z') });
    expect(again.rewrapped).toBe(0);
    expect(await handle.db.select().from(userKeys).orderBy(userKeys.userId)).toEqual(before);
    expect(await handle.db.select().from(masterKeyVersions)).toEqual([{ version: 1, emptiedAt: first, retiredAt: null }]);
  });

  it('counts a key shredded between the page read and its re-wrap as skipped', async () => {
    const { url } = await database();
    await seed(url);
    const { db } = await handleOn(url);
    const other = await handleOn(url);
    // An erasure commits while the rotation holds its page: the first transaction starts after it.
    let shredded = false;
    const racing = new Proxy(db, {
      get: (target, prop) =>
        prop === 'transaction' && !shredded
          ? async (...args: Parameters<Database['transaction']>) => {
              shredded = true;
              await other.db.delete(userKeys).where(and(eq(userKeys.userId, 'rot-b'), eq(userKeys.keyVersion, 1)));
              return target.transaction(...args);
            }
          : Reflect.get(target, prop, target),
    });
    const report = await rotateDataKeys(racing, audit, parseMasterKeys(BOTH));
    expect(report).toEqual({ toVersion: 2, rewrapped: 2, skipped: 1, unreadable: 0, keysByVersion: [{ keyVersion: 2, keys: 2 }] });
  });

  it('leaves keys under a version missing from the keyring, or not opening under it, as they were: unreadable', async () => {
    const { url } = await database();
    await seed(url);
    const { db } = await handleOn(url);
    const before = await db.select().from(userKeys).orderBy(userKeys.userId);
    for (const keyring of [`${V2},${V3}`, `${WRONG_V1},${V2}`]) {
      const report = await rotateDataKeys(db, audit, parseMasterKeys(keyring));
      expect(report).toMatchObject({ rewrapped: 0, skipped: 0, unreadable: 3, keysByVersion: [{ keyVersion: 1, keys: 3 }] });
    }
    expect(await db.select().from(userKeys).orderBy(userKeys.userId)).toEqual(before);
  });

  it('stops at any other failure of the keyring rather than counting it unreadable', async () => {
    const { url } = await database();
    await seed(url);
    const { db } = await handleOn(url);
    const keyring = parseMasterKeys(BOTH);
    const broken = Object.assign(Object.create(keyring) as MasterKeyring, {
      rewrap: () => {
        throw new TypeError('keyring fault');
      },
    });
    await expect(rotateDataKeys(db, audit, broken)).rejects.toThrow('keyring fault');
  });

  it('leaves every record readable by an app that holds only the new key', async () => {
    const { url } = await database();
    const users = await seed(url);
    await rotateDataKeys((await handleOn(url)).db, audit, parseMasterKeys(BOTH));
    const app = await appOn(url, V2);
    expect(await exportedApplicants(app, users)).toEqual(expected(users));
  });

  it('serves keys under both versions while the rotation is under way', async () => {
    const { url } = await database();
    const old = await seed(url);
    const app = await appOn(url, BOTH);
    const fresh = await verifiedUser(app, 'rot-new', { name: '赵六' });
    const versions = (await app.db.select().from(userKeys)).map((k) => [k.userId, k.keyVersion]).sort();
    expect(versions).toEqual([['Rot-a', 1], ['rot-b', 1], ['rot-c', 1], ['rot-new', 2]]);
    expect(await exportedApplicants(app, [...old, fresh])).toEqual(expected([...old, fresh]));
  });

  it('runs as `npm run keys:rotate`, printing counts and no personal data', async () => {
    const { url } = await database();
    const users = await seed(url);
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'keys:rotate'], { env: { ...process.env, DATABASE_URL: url, REALNAME_MASTER_KEY: BOTH, AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY } });
    expect(stdout).toContain('re-wrapped 3 data keys under v2');
    expect(stdout).toContain('v2: 3 data keys');
    for (const u of users) expect(stdout + stderr).not.toContain(u.idCardNumber);
    expect(stdout + stderr).not.toContain(V2.slice(3));
  });
});
