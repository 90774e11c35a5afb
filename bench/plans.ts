import { Placeholder } from 'drizzle-orm';
import postgres from 'postgres';
import { openPostgres } from '../src/db/database.js';
import { gateFactsSelect } from '../src/repositories/gate.repository.js';
import { verifiedUserId } from './fixtures.js';

/**
 * `EXPLAIN (ANALYZE, BUFFERS)` of the gate's one query for a random verified user of the database
 * at `url`, with the service's default lockout (5 failures in 24 h): the plan, its timing and
 * where its pages came from (shared hit = PostgreSQL's buffers, read = the OS or the disk).
 */
export async function gatePlan(url: string, verifiedUsers: number): Promise<string> {
  const handle = await openPostgres(url, { max: 1 });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const query = gateFactsSelect(handle.db).toSQL();
    const named: Record<string, unknown> = {
      userId: verifiedUserId(1 + Math.floor(Math.random() * verifiedUsers)),
      since: new Date(Date.now() - 24 * 3600 * 1000).toISOString(),
      nthOffset: 4,
    };
    const values = query.params.map((p) => (p instanceof Placeholder ? named[p.name] : p)) as postgres.ParameterOrJSON<never>[];
    const rows = await sql.unsafe(`explain (analyze, buffers) ${query.sql}`, values);
    return rows.map((r) => String(r['QUERY PLAN'])).join('\n');
  } finally {
    await sql.end();
    await handle.close();
  }
}
