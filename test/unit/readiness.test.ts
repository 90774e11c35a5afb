import { describe, expect, it } from 'vitest';
import { createReadiness } from '../../src/http/health.js';

const ok = async () => {};

describe(createReadiness.name, () => {
  it('is ready when every probe answers and no migration is pending', async () => {
    const readiness = createReadiness({ database: ok, pubsub: ok, pendingMigrations: async () => 0 });
    expect(await readiness.check()).toEqual({ ready: true, checks: { database: 'ok', pubsub: 'ok', migrations: 'ok', shutdown: 'no' } });
  });

  it('is unready when the database does not answer in time', async () => {
    const readiness = createReadiness({ database: () => new Promise(() => {}), pubsub: ok, pendingMigrations: async () => 0 });
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { database: 'failed', pubsub: 'ok' } });
  });

  it('is unready when the migration check cannot run', async () => {
    const readiness = createReadiness({ database: ok, pubsub: ok, pendingMigrations: () => Promise.reject(new Error('gone')) });
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { migrations: 'failed' } });
  });

  it('stays unready for good once shutdown began', async () => {
    const readiness = createReadiness({ database: ok, pubsub: ok, pendingMigrations: async () => 0 });
    readiness.beginShutdown();
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { shutdown: 'begun', database: 'ok' } });
  });
});
