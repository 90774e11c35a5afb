import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { gql, startTestApp, tokenFor, type TestApp, type TestAppOptions } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';

const READ = `query($id: ID!) {
  verification(id: $id) { status maskedName maskedIdCardNumber failureReason { code } }
  userAuthStatus { status isValid maskedName }
}`;

/** A port nobody listens on now: the restarted app takes the same one, so CallbackUrls stay valid. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Storage {
  options(port: number, sandboxUrl: string): TestAppOptions;
  cleanUp(): Promise<void>;
}

async function embeddedStorage(): Promise<Storage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'realname-restart-'));
  return {
    // Empty keys: the app generates its own into DATA_DIR/secrets.json, as `npm start` does.
    options: (port, sandboxUrl) => ({
      storage: 'embedded',
      env: { DATA_DIR: dataDir, PORT: String(port), SANDBOX_URL: sandboxUrl, AUTH_JWT_SECRET: '', REALNAME_MASTER_KEY: '', REALNAME_INDEX_KEY: '' },
    }),
    cleanUp: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function postgresStorage(): Promise<Storage> {
  const database = await createTestDatabase();
  return {
    options: (port, sandboxUrl) => ({ databaseUrl: database.url, env: { PORT: String(port), SANDBOX_URL: sandboxUrl } }),
    cleanUp: () => database.drop(),
  };
}

describe.each([
  ['embedded (PGlite in DATA_DIR, generated keys)', embeddedStorage],
  ['PostgreSQL (same database URL and keys)', postgresStorage],
])('a restart on the same data: %s', (_name, storageOf) => {
  let storage: Storage;
  let sandbox: Sandbox;
  let app: TestApp;
  const verified = { userId: 'restart-verified', idCardNumber: validIdNumber(), id: '', token: '' };
  const failed = { userId: 'restart-failed', id: '', token: '' };
  const pending = { userId: 'restart-pending', id: '', certifyId: '', token: '' };

  beforeAll(async () => {
    storage = await storageOf();
    const defaults = loadConfig({});
    // The emulator outlives the app, like Aliyun does: a session begun before the restart finishes after it.
    sandbox = await startSandbox({ port: 0, accessKeyId: defaults.SANDBOX_ACCESS_KEY_ID, accessKeySecret: defaults.SANDBOX_ACCESS_KEY_SECRET, allowHttpCallbacks: true });
    const options = storage.options(await freePort(), sandbox.url);

    const before = await startTestApp(options);
    const start = async (who: { userId: string; token: string }, idCardNumber = validIdNumber()) => {
      who.token = await tokenFor(who.userId, { secret: before.jwtSecret });
      const res = await startVerification(before, who.token, { idCardNumber });
      return res.data!.startVerification as { id: string; certifyId: string };
    };
    const v = await start(verified, verified.idCardNumber);
    await sandbox.complete(v.certifyId, 'pass');
    const f = await start(failed);
    await sandbox.complete(f.certifyId, 'fail');
    const p = await start(pending);
    Object.assign(verified, { id: v.id });
    Object.assign(failed, { id: f.id });
    Object.assign(pending, { id: p.id, certifyId: p.certifyId });
    await before.stop();

    app = await startTestApp(options);
    // Two PGlite start-ups and three verifications: on a loaded 2-core machine this outlasts the
    // default hook limit. A limit, not a speed assertion.
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
    await storage?.cleanUp();
  });

  it('keeps a VERIFIED identity valid, its name and number still decrypting to their masks', async () => {
    const res = await gql(app, READ, { id: verified.id }, verified.token);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      verification: {
        status: 'VERIFIED',
        maskedName: '张*',
        maskedIdCardNumber: `${verified.idCardNumber.slice(0, 6)}********${verified.idCardNumber.slice(-4)}`,
        failureReason: null,
      },
      userAuthStatus: { status: 'VERIFIED', isValid: true, maskedName: '张*' },
    });
  });

  it('keeps a FAILED verification with its reason', async () => {
    const res = await gql(app, READ, { id: failed.id }, failed.token);
    expect(res.data!.verification).toMatchObject({ status: 'FAILED', failureReason: { code: 'LIVENESS_RISK' } });
    expect(res.data!.userAuthStatus).toMatchObject({ status: 'FAILED', isValid: false });
  });

  it('lets a verification begun before the restart finish through its callback after it', async () => {
    expect((await gql(app, READ, { id: pending.id }, pending.token)).data!.verification.status).toBe('PENDING');
    expect(await sandbox.complete(pending.certifyId, 'pass')).toBe('done');
    expect(sandbox.callbacks.at(-1)).toMatchObject({ certifyId: pending.certifyId, ok: true });
    expect((await gql(app, READ, { id: pending.id }, pending.token)).data!.userAuthStatus).toMatchObject({ status: 'VERIFIED', isValid: true });
  });

  it('keeps the audit chain whole across the restart', async () => {
    expect(await app.audit.verify(app.db)).toMatchObject({ ok: true });
  });
});
