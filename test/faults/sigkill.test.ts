import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { auditRepository } from '../../src/repositories/audit.repository.js';
import { verificationRepository } from '../../src/repositories/verification.repository.js';
import { gql, TEST_INDEX_KEY, TEST_JWT_SECRET, TEST_MASTER_KEY, tokenFor } from '../support/app.js';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database.js';

import { freePort, waitUntil } from './support/ports.js';
import { spawnService, type ServiceProcess } from './support/service-process.js';
import { startVerification } from '../support/verified-user.js';

const STATUS = `query($id: ID!) { verification(id: $id) { status } }`;

describe('SIGKILL between InitFaceVerify and the callback', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let handle: DatabaseHandle;
  let sandbox: Sandbox;
  let service: ServiceProcess | undefined;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openPostgres(database.url, { max: 2 });
    // Outside the service, so it outlives the kill like Aliyun would. Without Aliyun's callback
    // retries: a retry landing after the restart would settle it first, and this is the reconciler's test.
    sandbox = await startSandbox({ port: 0, accessKeyId: 'sandbox-access-key-id', accessKeySecret: 'sandbox-access-key-secret', allowHttpCallbacks: true, callbackRetryDelaysMs: [] });
    port = await freePort();
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      SANDBOX_URL: sandbox.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      REALNAME_MASTER_KEY: TEST_MASTER_KEY,
      REALNAME_INDEX_KEY: TEST_INDEX_KEY,
      RECONCILE_INTERVAL_SECONDS: '1',
      RECONCILE_AFTER_SECONDS: '0',
    };
  });
  afterAll(async () => {
    await service?.kill();
    await sandbox?.close();
    await handle?.close();
    await database?.drop();
  });

  it('settles the verification as VERIFIED through the reconciler after a restart', async () => {
    service = await spawnService(port, env);
    const token = await tokenFor('sigkill-user');
    const started = await startVerification(service, token);
    const { id, certifyId } = started.data!.startVerification;
    await service.kill();

    // The user finishes on Aliyun's page while we are down: the callback finds nobody.
    expect(await sandbox.complete(certifyId, 'pass')).toBe('done');
    expect(sandbox.callbacks.at(-1)).toMatchObject({ certifyId, ok: false });
    expect((await verificationRepository.byId(handle.db, id))!.status).toBe('PENDING');

    service = await spawnService(port, env);
    await waitUntil('the reconciler to settle it', async () => (await gql(service!, STATUS, { id }, token)).data?.verification?.status === 'VERIFIED');
    const audit = (await auditRepository.forUser(handle.db, 'sigkill-user')).filter((e) => e.verificationId === id);
    expect(audit.map((e) => `${e.action} by ${e.actor}`)).toEqual(['verification.started by user:sigkill-user', 'verification.verified by reconciler']);
  }, 180_000);
});
