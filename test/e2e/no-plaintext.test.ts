import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestApp, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';
import { EXPORT, fifteenDigitForm, startedUser, verifiedUser, type TestApplicant } from '../support/verified-user.js';
import { validIdNumber } from '../support/id-numbers.js';

const run = promisify(execFile);

/** Every way a name or number could sit in storage: as text, and as the hex of its UTF-8 bytes (bytea). */
function needles(user: TestApplicant): string[] {
  const plain = [user.name, user.idCardNumber, fifteenDigitForm(user.idCardNumber)];
  return [...plain, ...plain.map((p) => Buffer.from(p, 'utf8').toString('hex'))];
}

/** pg_dump of the database; where pg_dump is missing or of another major version, every row of every table as text. */
async function dumpDatabase(url: string): Promise<string> {
  try {
    return (await run('pg_dump', ['--no-owner', '--dbname', url], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = 'public'`;
      const rows = await Promise.all(tables.map(({ name }) => sql.unsafe(`select t::text as row from "${name}" t`)));
      return rows.flat().map((r) => String(r.row)).join('\n');
    } finally {
      await sql.end();
    }
  }
}

/** Every key under the app's prefix with its value, whatever its type. */
async function dumpRedis(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    const values = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === 'string') return redis.get(key);
        if (type === 'hash') return redis.hgetall(key);
        if (type === 'list') return redis.lrange(key, 0, -1);
        if (type === 'set') return redis.smembers(key);
        if (type === 'zset') return redis.zrange(key, 0, -1);
        return type;
      }),
    );
    return JSON.stringify({ keys, values });
  } finally {
    redis.disconnect();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile());
}

/** A verified user (with a face image kept), a failed one and an abandoned one: every kind of record. */
async function populate(app: TestApp, prefix: string) {
  const verified = await verifiedUser(app, `${prefix}-verified`, { name: '张三' });
  const failed = await startedUser(app, `${prefix}-failed`, { name: '李四', idCardNumber: validIdNumber('19850612') });
  await app.sandbox!.complete(failed.certifyId, 'fail');
  const open = await startedUser(app, `${prefix}-open`, { name: '王五', idCardNumber: validIdNumber('19700101') });
  await gql(app, EXPORT, {}, verified.token);
  return [verified, failed, open];
}

describe('no plaintext at rest', () => {
  describe('PostgreSQL and Redis', () => {
    let app: TestApp;
    let users: TestApplicant[];
    beforeAll(async () => {
      app = await startTestApp({ env: { FACE_IMAGE_RETENTION_DAYS: '30' } });
      users = await populate(app, 'plain-pg');
      await app.services.accessLog.seal();
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('a dump of the database holds no name or number', async () => {
      const dump = await dumpDatabase(app.config.DATABASE_URL!);
      expect(dump).toContain(users[0]!.verificationId);
      for (const user of users) for (const needle of needles(user)) expect(dump).not.toContain(needle);
    });

    it('Redis holds no name or number', async () => {
      const dump = await dumpRedis(app.config.REDIS_KEY_PREFIX);
      expect(dump).toContain(app.config.REDIS_KEY_PREFIX);
      for (const user of users) for (const needle of needles(user)) expect(dump).not.toContain(needle);
    });
  });

  describe('embedded (PGlite files under DATA_DIR)', () => {
    let dataDir: string;
    let users: TestApplicant[];
    const embedded = () => startTestApp({ storage: 'embedded', env: { DATA_DIR: dataDir, FACE_IMAGE_RETENTION_DAYS: '30' } });
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'realname-plain-'));
      const app = await embedded();
      try {
        users = await populate(app, 'plain-embedded');
      } finally {
        await app.stop();
      }
    });
    afterAll(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('the data directory holds no name or number', () => {
      const files = filesUnder(dataDir).map((f) => readFileSync(f));
      expect(files.some((bytes) => bytes.includes(users[0]!.userId))).toBe(true);
      for (const user of users) {
        for (const needle of needles(user)) expect(files.filter((bytes) => bytes.includes(needle))).toHaveLength(0);
      }
    });

    it('a restart on the same DATA_DIR and key reads everything', async () => {
      const app = await embedded();
      try {
        const res = await gql(app, EXPORT, {}, users[0]!.token);
        expect(res.data!.exportMyData.verifications).toEqual([expect.objectContaining({ realName: '张三', idCardNumber: users[0]!.idCardNumber })]);
        expect(res.data!.exportMyData.faceImages).toEqual([expect.objectContaining({ imageBase64: expect.any(String) })]);
      } finally {
        await app.stop();
      }
    });
  });
});
