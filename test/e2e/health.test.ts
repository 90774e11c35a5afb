import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { waitUntil } from '../faults/support/ports.js';
import { startPrivateRedis, type PrivateRedis } from '../faults/support/redis-server.js';

const readyz = async (app: { url: string }) => {
  const res = await fetch(`${app.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
};

describe('/healthz and /readyz', () => {
  let database: { url: string; drop(): Promise<void> };
  let app: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('is live and ready when PostgreSQL, Redis and the migrations are', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(await readyz(app)).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', pubsub: 'ok', migrations: 'ok', shutdown: 'no' } } });
  });

  it('is unready while a migration is not applied', async () => {
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const [applied] = await sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations) returning hash, created_at`;
      expect((await readyz(app)).body).toMatchObject({ status: 'unavailable', checks: { migrations: 'pending', database: 'ok' } });
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${applied!.hash}, ${applied!.created_at})`;
      expect((await readyz(app)).status).toBe(200);
    } finally {
      await sql.end();
    }
  });
});

describe('/readyz when Redis goes away', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.close();
  });

  it('stays live, turns unready, and is ready again once Redis is back', async () => {
    expect((await readyz(app)).status).toBe(200);
    await redis.stop();
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(await readyz(app)).toMatchObject({ status: 503, body: { checks: { database: 'ok', pubsub: 'failed' } } });
    await redis.start();
    await waitUntil('ready again', async () => (await readyz(app)).status === 200);
  });
});

describe('shutdown', () => {
  it('turns unready at once, keeps serving through SHUTDOWN_DELAY_SECONDS, then stops', async () => {
    const app = await startTestApp({ env: { SHUTDOWN_DELAY_SECONDS: '2' } });
    expect((await readyz(app)).status).toBe(200);
    const closed = app.stop();
    const draining = await readyz(app);
    expect(draining).toMatchObject({ status: 503, body: { checks: { shutdown: 'begun', database: 'ok' } } });
    // Still answering, but asking the balancer to open a new connection next time.
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('draining-user')}` },
      body: JSON.stringify({ query: '{ consentTerms { version } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    await closed;
    await expect(gql(app, '{ __typename }')).rejects.toThrow();
  });
});
