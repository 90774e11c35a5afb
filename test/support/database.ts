import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { migrationsFolder, openPostgres } from '../../src/db/database.js';

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Named after the migrations' contents, so a changed migration builds a new template. */
function templateName() {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    if (file.endsWith('.sql') || file.endsWith('.json')) hash.update(file).update(readFileSync(join(migrationsFolder, file)));
  }
  return `realname_tpl_${hash.digest('hex').slice(0, 12)}`;
}

/**
 * A database of its own for one test file, cloned from a migrated template: migrations run once per
 * change, and each clone takes a fraction of a second.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  const template = templateName();
  const name = `realname_t_${randomBytes(6).toString('hex')}`;
  try {
    await admin`select pg_advisory_lock(4242)`;
    try {
      const [exists] = await admin`select 1 from pg_database where datname = ${template}`;
      if (!exists) {
        await admin.unsafe(`create database "${template}_building"`).catch(() => {});
        const handle = await openPostgres(withDatabase(TEST_PG_URL, `${template}_building`), { max: 1 });
        await handle.close();
        await admin.unsafe(`alter database "${template}_building" rename to "${template}"`);
      }
    } finally {
      await admin`select pg_advisory_unlock(4242)`;
    }
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(TEST_PG_URL, name);
  return {
    url,
    drop: async () => {
      const sql = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}
