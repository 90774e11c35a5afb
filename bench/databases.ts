import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openPglite, openPostgres } from '../src/db/database.js';
import { seed, type SeedPlan } from './seed.js';

export const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Drops and recreates `name`, migrates it like the service does at start-up, then seeds it. Returns its URL and the seconds taken. */
export async function preparePostgres(adminUrl: string, name: string, plan: SeedPlan, prewarm: 'read' | 'buffer' = 'read') {
  const started = performance.now();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  await (await openPostgres(url, { max: 1 })).close();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await seed((text) => sql.unsafe(text), plan);
    // Into the OS page cache ('read'), or into shared_buffers on the bench's own cluster ('buffer'),
    // as a running service's working set would be: otherwise the largest database is measured
    // cold, and its first rounds show the disk rather than the table's size.
    await sql.unsafe(`create extension if not exists pg_prewarm`);
    await sql.unsafe(`select pg_prewarm(c.oid, '${prewarm}') from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'i') and (c.relname like 'verifications%' or c.relname like 'identities%' or c.relname like 'user_keys%')`);
  } finally {
    await sql.end();
  }
  return { url, seconds: (performance.now() - started) / 1000 };
}

export async function dropPostgres(adminUrl: string, name: string) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`).finally(() => admin.end());
}

/** A fresh DATA_DIR whose PGlite database is migrated and seeded, for the embedded server to open. */
export async function preparePglite(dataDir: string, plan: SeedPlan) {
  const started = performance.now();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  await (await openPglite(dataDir)).close();
  const client = new PGlite(join(dataDir, 'pglite'));
  try {
    await seed((text) => client.exec(text), plan);
  } finally {
    await client.close();
  }
  return { dataDir, seconds: (performance.now() - started) / 1000 };
}
