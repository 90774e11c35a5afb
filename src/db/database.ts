import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { watchPool, type PoolUsage } from '../telemetry/database-pool.js';
import { tracePglite, traceQueries } from '../telemetry/query-spans.js';
import { preparingStatements } from './prepared-statements.js';
import * as schema from './schema.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Repositories take either, so a service can run several of them in one transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  /** Migrations in `drizzle/` that this database has not applied (readiness waits for none). */
  pendingMigrations(): Promise<number>;
  /** What the pool is doing; undefined for PGlite, which has none. */
  poolUsage(): PoolUsage | undefined;
  close(): Promise<void>;
}

// Resolved from the package root (the nearest package.json above this file), not from the working
// directory or dist/, so `npm start`, the built image and tests all find the same migrations.
export const migrationsFolder = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'drizzle');

export function packageRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error('package.json not found above the database module');
  return packageRoot(parent);
}

/** Serialises migrations when several replicas start at once. */
const MIGRATION_LOCK = 7_251_443;

/** `traced`: a span per statement and transaction (only when traces are exported). */
export async function openPostgres(url: string, { max = 10, traced = false } = {}): Promise<DatabaseHandle> {
  const pool = watchPool(postgres(url, { max, onnotice: () => {}, connect_timeout: 10 }), max);
  const client = pool.client;
  const db = drizzlePostgres({ client: preparingStatements(traced ? traceQueries(client) : client), schema }) as unknown as Database;
  // One connection, so the advisory lock and the migration share a session.
  const migrator = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres({ client: migrator }), { migrationsFolder });
  } catch (error) {
    await client.end({ timeout: 1 });
    throw error;
  } finally {
    await migrator.end({ timeout: 5 });
  }
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    pendingMigrations: () => pendingMigrations(db),
    poolUsage: pool.usage,
    close: () => client.end({ timeout: 5 }),
  };
}

/** The embedded database: PostgreSQL compiled to WASM, files under `dataDir` (memory when omitted). */
export async function openPglite(dataDir?: string, { traced = false } = {}): Promise<DatabaseHandle> {
  let path: string | undefined;
  if (dataDir) {
    path = join(dataDir, 'pglite');
    mkdirSync(path, { recursive: true });
  }
  const client = new PGlite(path);
  const db = drizzlePglite({ client: traced ? tracePglite(client) : client, schema }) as unknown as Database;
  await migratePglite(drizzlePglite({ client }), { migrationsFolder });
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    pendingMigrations: () => pendingMigrations(db),
    poolUsage: () => undefined,
    close: () => client.close(),
  };
}

/** drizzle records each applied migration with its journal time (`created_at`) in drizzle.__drizzle_migrations. */
async function pendingMigrations(db: Database): Promise<number> {
  const files = readMigrationFiles({ migrationsFolder });
  // postgres.js answers with the rows, PGlite with { rows }. No table yet: nothing applied.
  const result: unknown = await db.execute(sql`select created_at from drizzle.__drizzle_migrations`).catch(() => []);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { created_at: string | number }[];
  const applied = new Set(rows.map((row) => Number(row.created_at)));
  return files.filter((file) => !applied.has(file.folderMillis)).length;
}
