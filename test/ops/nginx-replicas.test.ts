import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { CONSENT_VERSION, START, subscribe, TEST_INDEX_KEY, TEST_JWT_SECRET, TEST_MASTER_KEY, tokenFor } from '../support/app.js';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { scrape } from '../support/metrics.js';
import { freePort, waitUntil } from '../faults/support/ports.js';
import { spawnService, type ServiceProcess } from '../faults/support/service-process.js';
import { nginxPrefix, removeTempDirs, tempDir } from '../deploy/support.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;
const CONSENT = `{ consentTerms { version } }`;

/**
 * Debian's nginx with deploy/nginx/realname.conf (TLS, HTTP/2, WebSocket upgrade) in front of two
 * replicas as `npm start` runs them, on one PostgreSQL and Redis. The emulator calls back through
 * nginx, as Aliyun would.
 */
describe('nginx in front of two replicas', () => {
  let database: { url: string; drop(): Promise<void> };
  let sandbox: Sandbox;
  let replicas: ServiceProcess[] = [];
  let nginx: ChildProcess;
  let nginxLog = '';
  let nginxDir: string;
  let edge: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, host: '127.0.0.1', accessKeyId: 'sandbox-access-key-id', accessKeySecret: 'sandbox-access-key-secret' });
    const [httpPort, httpsPort, ...replicaPorts] = await Promise.all([0, 1, 2, 3].map(() => freePort()));
    edge = `https://localhost:${httpsPort}`;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      REALNAME_MASTER_KEY: TEST_MASTER_KEY,
      REALNAME_INDEX_KEY: TEST_INDEX_KEY,
      SANDBOX_URL: sandbox.url,
      PUBLIC_BASE_URL: edge,
      TRUSTED_PROXIES: '127.0.0.1',
      SHUTDOWN_DELAY_SECONDS: '1',
      RECONCILE_INTERVAL_SECONDS: '3600',
    };
    replicas = await Promise.all(replicaPorts.map((port) => spawnService(port!, env)));

    const dir = (nginxDir = tempDir('nginx'));
    const conf = await nginxPrefix(dir, readFileSync('deploy/nginx/realname.conf', 'utf8'), {
      replicas: replicas.map((r) => new URL(r.url).host),
      httpPort: httpPort!,
      httpsPort: httpsPort!,
    });
    // The certificate the test processes trust (test/ops/tls.ts), not the one nginxPrefix made.
    for (const file of ['realname.crt', 'realname.key']) copyFileSync(join(process.env.REALNAME_TEST_TLS_DIR!, file), join(dir, 'tls', file));
    nginx = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (d) => (nginxLog += d));
    await waitUntil('nginx', async () => (await fetch(`${edge}/healthz`).catch(() => undefined))?.ok === true);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = once(nginx, 'exit');
      nginx.kill('SIGQUIT');
      await exited;
    }
    await Promise.all(replicas.map((r) => r.stop()));
    await sandbox?.close();
    await database?.drop();
    removeTempDirs();
  });

  const startThroughEdge = async (userId: string, target = edge) => {
    const res = await fetch(`${target}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
      body: JSON.stringify({ query: START, variables: { input: { realName: '赵一', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } } }),
    });
    return { status: res.status, body: (await res.json()) as { data?: { startVerification: { id: string; status: string; certifyId: string } }; errors?: unknown } };
  };
  const perReplica = (name: string, labels?: Record<string, string>) => Promise.all(replicas.map(async (r) => (await scrape(r)).value(name, labels)));

  it('serves HTTP/2 over TLS with its security headers, and hides /metrics', async () => {
    const res = await fetch(`${edge}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=31536000');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${edge}/metrics`)).status).toBe(404);
    const http2 = await new Promise<string>((resolve, reject) => {
      import('node:http2').then(({ connect }) => {
        const session = connect(edge);
        session.on('error', reject);
        session.on('connect', () => {
          resolve(session.alpnProtocol ?? '');
          session.close();
        });
      }, reject);
    });
    expect(http2).toBe('h2');
  });

  it('pushes the result to a subscription held by one replica when the callback lands on the other', async () => {
    const cases: { holder: number; handler: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const userId = `edge-user-${i}`;
      const started = await startThroughEdge(userId);
      expect(started.status).toBe(200);
      const verification = started.body.data!.startVerification;
      const client = createClient({ url: `${edge.replace('https', 'wss')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await tokenFor(userId)}` }, lazy: true, retryAttempts: 0 });
      const watch = subscribe(client, WATCH, { id: verification.id });
      await watch.waitFor((events) => events.length === 1);
      const holder = (await perReplica('realname_subscriptions_open')).indexOf(1);
      const before = await perReplica('realname_callbacks_total', { outcome: 'accepted' });

      expect(await sandbox.complete(verification.certifyId, 'pass')).toBe('done');
      await watch.done;
      await client.dispose();
      expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
      const after = await perReplica('realname_callbacks_total', { outcome: 'accepted' });
      cases.push({ holder, handler: after.findIndex((n, r) => n > before[r]!) });
    }
    expect(cases.every((c) => c.holder >= 0 && c.handler >= 0)).toBe(true);
    expect(cases.some((c) => c.holder !== c.handler)).toBe(true);
  });

  it('loses no request when one replica gets SIGTERM under load, and the draining replica finishes what it holds', async () => {
    const token = await tokenFor('edge-load');
    const [draining, staying] = replicas as [ServiceProcess, ServiceProcess];
    const servedBefore = await scrape(staying);

    // A start held by the replica about to stop: its InitFaceVerify answers only after 2 s.
    sandbox.setFault({ action: 'InitFaceVerify', kind: 'delay', ms: 2_000, times: 1 });
    const initCalls = sandbox.calls.filter((c) => c.action === 'InitFaceVerify').length;
    const held = startThroughEdge('edge-held', draining.url);
    await waitUntil('the held start to reach the provider', () => sandbox.calls.filter((c) => c.action === 'InitFaceVerify').length > initCalls);

    const statuses: number[] = [];
    let sent = 0;
    let stopping: Promise<void> | undefined;
    let stopped = false;
    // At least 400 requests, and on until the stopping replica has exited, so that nginx meets its
    // closed port (bounded: 5000 at most).
    const worker = async () => {
      while ((sent < 400 || !stopped) && sent < 5_000) {
        sent++;
        if (sent === 60) stopping = draining.stop().then(() => void (stopped = true));
        const res = await fetch(`${edge}/graphql?query=${encodeURIComponent(CONSENT)}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
        const body = (await res.json()) as { data?: { consentTerms?: { version: string } } };
        statuses.push(res.status === 200 && body.data?.consentTerms?.version === CONSENT_VERSION ? 200 : res.status);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    await stopping;

    expect(statuses).toHaveLength(sent);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const heldResult = await held;
    expect(heldResult.status).toBe(200);
    expect(heldResult.body.data!.startVerification.status).toBe('PENDING');
    expect(draining.child.exitCode).toBe(0);
    const servedAfter = await scrape(staying);
    expect(servedAfter.value('realname_graphql_requests_total', { operation: 'consentTerms', outcome: 'ok' }) - servedBefore.value('realname_graphql_requests_total', { operation: 'consentTerms', outcome: 'ok' })).toBeGreaterThan(0);
    expect(nginxLog).not.toMatch(/\[emerg\]/);
    // nginx did meet the stopping replica (its closed port, a connection reset as the listener
    // closed, or a kept-alive connection the replica closed as nginx sent on it) and passed those
    // requests on to the other one: every status above is 200.
    expect(readFileSync(join(nginxDir, 'logs', 'error.log'), 'utf8')).toMatch(
      new RegExp(
        [
          String.raw`connect\(\) failed \(111: Connection refused\) while connecting to upstream`,
          String.raw`recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream`,
          String.raw`upstream prematurely closed connection while reading response header from upstream`,
        ].join('|'),
      ),
    );
  });
});
