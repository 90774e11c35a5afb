import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';

import { startPrivatePostgres, type PrivatePostgres } from './support/postgres-server.js';
import { startVerification } from '../support/verified-user.js';

const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const STATUS = `query($id: ID!) { verification(id: $id) { status } }`;
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { status } }`;
const codesOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.map((e) => e.extensions?.code) ?? [];

describe('PostgreSQL restarted under a running service', () => {
  let postgres: PrivatePostgres;
  let app: TestApp;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    app = await startTestApp({ databaseUrl: postgres.url, env: { RECONCILE_AFTER_SECONDS: '0' } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await postgres?.close();
  });

  async function whileDown<T>(during: () => Promise<T>): Promise<T> {
    await postgres.stop();
    try {
      return await during();
    } finally {
      await postgres.start();
    }
  }

  async function start(userId: string) {
    const token = await tokenFor(userId);
    const res = await startVerification(app, token);
    return { token, res };
  }

  it('answers GraphQL requests with SERVICE_UNAVAILABLE, not an internal error or a hang', async () => {
    const token = await serviceToken();
    const [gate, started] = await whileDown(async () => [await gql(app, GATE, { u: 'pg-gate' }, token), (await start('pg-start')).res]);
    expect(codesOf(gate!)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(codesOf(started!)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  it('refuses a subscription with SERVICE_UNAVAILABLE', async () => {
    const { token, res } = await start('pg-watch');
    const client = wsClient(app, token);
    const watch = await whileDown(async () => {
      const refused = subscribe(client, WATCH, { id: res.data!.startVerification.id });
      await refused.done;
      return refused;
    });
    expect((watch.errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    await client.dispose();
  });

  it('reports not ready while the database is down', async () => {
    const status = await whileDown(async () => (await fetch(`${app.url}/readyz`)).status);
    expect(status).toBe(503);
  });

  it('answers a callback with 503, so that Aliyun calls again, and the reconciler settles it after the restart', async () => {
    const { token, res } = await start('pg-callback');
    const { id, certifyId } = res.data!.startVerification;
    await whileDown(() => app.sandbox!.complete(certifyId, 'pass'));
    expect(app.sandbox!.callbacks.at(-1)).toMatchObject({ ok: false, status: 503 });

    await app.services.results.reconcile();
    expect((await gql(app, STATUS, { id }, token)).data!.verification.status).toBe('VERIFIED');
  });

  it('keeps query parameters out of the log', async () => {
    const mark = app.logs.lines.length;
    const token = await serviceToken();
    const gate = await whileDown(() => gql(app, GATE, { u: 'pg-logged-user' }, token));
    expect(codesOf(gate)).toEqual(['SERVICE_UNAVAILABLE']);
    const lines = app.logs.lines.slice(mark);
    expect(lines.some((line) => line.includes('database unavailable'))).toBe(true);
    expect(lines.filter((line) => line.includes('params:') || line.includes('pg-logged-user'))).toEqual([]);
  });

  it('serves a whole verification again after the restart, in the same process', async () => {
    await whileDown(async () => {});
    const { token, res } = await start('pg-after');
    expect(res.errors).toBeUndefined();
    await app.sandbox!.complete(res.data!.startVerification.certifyId, 'pass');
    const gate = await gql(app, GATE, { u: 'pg-after' }, await serviceToken());
    expect(gate.data!.verifyIdentity).toEqual({ passed: true, reason: null });
    expect((await gql(app, STATUS, { id: res.data!.startVerification.id }, token)).data!.verification.status).toBe('VERIFIED');
  });
});
