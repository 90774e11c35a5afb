import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMasterKeys } from '../../src/crypto/envelope.js';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { userKeys } from '../../src/db/schema.js';
import { rotateDataKeys } from '../../src/services/key-rotation.js';
import { gql, startTestApp, TEST_AUDIT_CHAIN_KEY, TEST_MASTER_KEY, testAuditChain, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { EXPORT, verifiedUser, type TestApplicant } from '../support/verified-user.js';

const V1 = TEST_MASTER_KEY;
const V2 = `v2:${Buffer.alloc(32, 8).toString('base64')}`;
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

  it('re-wraps every data key under the newest master key, page by page', async () => {
    const { url } = await database();
    await seed(url);
    const report = await rotateDataKeys((await handleOn(url)).db, audit, parseMasterKeys(BOTH), { pageSize: 1 });
    expect(report).toEqual({ toVersion: 2, rewrapped: 3, skipped: 0, unreadable: 0, keysByVersion: [{ keyVersion: 2, keys: 3 }] });
  });

  it('changes nothing when run again', async () => {
    const { url } = await database();
    await seed(url);
    const handle = await handleOn(url);
    await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH));
    const before = await handle.db.select().from(userKeys).orderBy(userKeys.userId);
    const again = await rotateDataKeys(handle.db, audit, parseMasterKeys(BOTH));
    expect(again.rewrapped).toBe(0);
    expect(await handle.db.select().from(userKeys).orderBy(userKeys.userId)).toEqual(before);
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
