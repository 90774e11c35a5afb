import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { gql, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { startVerification } from '../support/verified-user.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;

/**
 * Two replicas on one PostgreSQL database, one Redis namespace and one external sandbox. Both have
 * replica A's address as PUBLIC_BASE_URL, as behind a load balancer that sends Aliyun to A: every
 * callback lands on A, whichever replica started the verification or holds the subscriber.
 */
describe('two replicas', () => {
  let a: TestApp;
  let b: TestApp;
  let sandbox: Sandbox;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
    const defaults = loadConfig({});
    sandbox = await startSandbox({ port: 0, accessKeyId: defaults.SANDBOX_ACCESS_KEY_ID, accessKeySecret: defaults.SANDBOX_ACCESS_KEY_SECRET, allowHttpCallbacks: true });
    const shared = { SANDBOX_URL: sandbox.url, REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:` };
    a = await startTestApp({ databaseUrl: database.url, env: shared });
    b = await startTestApp({ databaseUrl: database.url, env: { ...shared, PUBLIC_BASE_URL: `http://localhost:${a.port}` } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await sandbox?.close();
    await database?.drop();
  });

  it('pushes to a subscriber on B the VERIFIED produced by the callback A handled', async () => {
    const token = await tokenFor('replica-user');
    const res = await startVerification(b, token);
    const { id, certifyId } = res.data!.startVerification as { id: string; certifyId: string };

    const client = wsClient(b, token);
    const watch = subscribe(client, WATCH, { id });
    await watch.waitFor((events) => events.length === 1);
    const callbacksBefore = sandbox.callbacks.length;
    expect(await sandbox.complete(certifyId, 'pass')).toBe('done');
    expect(sandbox.callbacks.slice(callbacksBefore)).toMatchObject([{ certifyId, ok: true, status: 200, attempt: 1 }]);

    await watch.done;
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    await client.dispose();
    const status = await gql(b, `query { userAuthStatus { status isValid } }`, {}, token);
    expect(status.data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true });
  });

  it('pushes one terminal state to subscribers on both replicas', async () => {
    const token = await tokenFor('replica-both');
    const res = await startVerification(a, token);
    const { id, certifyId } = res.data!.startVerification as { id: string; certifyId: string };

    const clients = [wsClient(a, token), wsClient(b, token)];
    const watches = clients.map((client) => subscribe(client, WATCH, { id }));
    for (const watch of watches) await watch.waitFor((events) => events.length === 1);
    await sandbox.complete(certifyId, 'fail');

    for (const watch of watches) {
      await watch.done;
      expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'FAILED']);
    }
    await Promise.all(clients.map((client) => client.dispose()));
  });
});
