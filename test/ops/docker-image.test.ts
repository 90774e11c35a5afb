import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { CONSENT_VERSION, gql, PRODUCTION_ENV, START, subscribe, TEST_INDEX_KEY, TEST_JWT_SECRET, TEST_MASTER_KEY, tokenFor, wsClient } from '../support/app.js';
import { TEST_PG_URL, TEST_REDIS_URL } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { freePort, waitUntil } from '../faults/support/ports.js';
import { outcome } from '../deploy/support.js';

/** Base image, build cache and the daemon's data live outside the repository (and survive runs). */
const CACHE = process.env.REALNAME_DOCKER_CACHE ?? '/var/cache/realname-docker';
const BASE_IMAGE = 'realname-base/node:24-bookworm-slim';
const IMAGE = 'realname:test';
/** Debian's docker.io client: it drives BuildKit (build secrets) without the buildx plugin. */
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const CA_BUNDLE = process.env.NPM_CA_BUNDLE ?? '/etc/ssl/certs/ca-certificates.crt';
const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status } }`;

const docker = (...args: string[]) => outcome(DOCKER, args);

/**
 * The daemon as this machine can run it (no registry, no bridge: `--storage-driver=vfs
 * --iptables=false --bridge=none`, containers on the host network). Started here when none is
 * running; stopped again at the end. The reason when none can start.
 */
async function ensureDaemon(): Promise<{ ok: true; started?: () => Promise<void> } | { ok: false; reason: string }> {
  if ((await docker('info').catch(() => ({ code: 1 }))).code === 0) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'no Docker daemon is running and starting one needs root' };
  if (!existsSync('/usr/sbin/dockerd') && (await outcome('which', ['dockerd']).catch(() => ({ code: 1 }))).code !== 0) {
    return { ok: false, reason: 'dockerd is not installed (Debian: apt-get install docker.io)' };
  }
  mkdirSync(CACHE, { recursive: true });
  const log = openSync(`${CACHE}/dockerd.log`, 'a');
  const daemon = spawn('dockerd', ['--storage-driver=vfs', '--iptables=false', '--bridge=none', `--data-root=${CACHE}/docker-data`], { stdio: ['ignore', log, log], detached: true });
  try {
    await waitUntil('dockerd', async () => daemon.exitCode === null && (await docker('info')).code === 0, 60_000, 500);
  } catch {
    daemon.kill('SIGTERM');
    return { ok: false, reason: `dockerd could not start here (see ${CACHE}/dockerd.log)` };
  }
  return {
    ok: true,
    started: async () => {
      if (daemon.exitCode !== null) return;
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    },
  };
}

const daemon = await ensureDaemon();

// No Docker daemon is a failure, not a skip: a skipped image test would prove nothing about the image.
describe('the Docker image, built from the Dockerfile on a locally assembled base', () => {
  const name = `realname-test-${randomBytes(4).toString('hex')}`;
  const database = `realname_image_${randomBytes(4).toString('hex')}`;
  let port: number;
  let url: string;
  let sandbox: Sandbox;
  const figures: Record<string, string> = {};

  beforeAll(async () => {
    if (!daemon.ok) throw new Error(`the Docker image test needs a Docker daemon: ${daemon.reason}`);
    const started = Date.now();
    const base = await outcome('deploy/docker/build-base-image.sh', [BASE_IMAGE]);
    expect(base.code, base.output).toBe(0);
    figures.base = `${Math.round((Date.now() - started) / 1000)} s`;

    const building = Date.now();
    const secret = existsSync(CA_BUNDLE) ? ['--secret', `id=npm_ca,src=${CA_BUNDLE}`] : [];
    const build = await outcome('env', ['DOCKER_BUILDKIT=1', DOCKER, 'build', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, ...secret, '-t', IMAGE, '.']);
    expect(build.code, build.output.slice(-4000)).toBe(0);
    figures.build = `${Math.round((Date.now() - building) / 1000)} s`;
    figures.size = `${Math.round(Number((await docker('image', 'inspect', '-f', '{{.Size}}', IMAGE)).output.trim()) / 1e6)} MB`;

    const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${database}"`); // empty: the container migrates it
    await admin.end();
    // The container answers plain http on the host's loopback: no TLS proxy in this test.
    sandbox = await startSandbox({ port: 0, host: '127.0.0.1', accessKeyId: 'sandbox-access-key-id', accessKeySecret: 'sandbox-access-key-secret', allowHttpCallbacks: true });
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const pg = new URL(TEST_PG_URL);
    pg.pathname = `/${database}`;
    const env = {
      ...PRODUCTION_ENV,
      PUBLIC_BASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: pg.toString(),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      REALNAME_MASTER_KEY: TEST_MASTER_KEY,
      REALNAME_INDEX_KEY: TEST_INDEX_KEY,
      SANDBOX_URL: sandbox.url,
      SHUTDOWN_DELAY_SECONDS: '1',
    };
    const run = await docker('run', '-d', '--name', name, '--network', 'host', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), IMAGE);
    expect(run.code, run.output).toBe(0);
  });

  afterAll(async () => {
    console.info(`docker image test: base ${figures.base}, build ${figures.build}, image ${figures.size}`);
    await docker('rm', '-f', name).catch(() => {});
    await sandbox?.close();
    const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${database}" with (force)`);
    await admin.end();
    if (daemon.ok) await daemon.started?.();
  });

  it('runs as a non-root user with production dependencies only, and a HEALTHCHECK', async () => {
    const config = JSON.parse((await docker('image', 'inspect', '-f', '{{json .Config}}', IMAGE)).output) as { User: string; Healthcheck?: { Test: string[] } };
    expect(config.User).toBe('node');
    expect(config.Healthcheck?.Test.join(' ')).toContain('/healthz');
    const listing = await docker('run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', 'id -u; ls node_modules; ls /run/secrets 2>&1; node --version');
    expect(listing.code).toBe(0);
    expect(listing.output).toMatch(/^1000$/m);
    expect(listing.output).toMatch(/^v24\./m);
    expect(listing.output).toMatch(/^express$/m);
    for (const dev of ['typescript', 'vitest', 'eslint', 'drizzle-kit', 'tsx']) expect(listing.output).not.toMatch(new RegExp(`^${dev}$`, 'm'));
    expect(listing.output).not.toContain('npm_ca');
  });

  it('migrates an empty database and turns ready', async () => {
    await waitUntil('the container to be ready', async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 90_000, 500);
    const sql = postgres(`${TEST_PG_URL.replace(/\/[^/]*$/, '')}/${database}`, { max: 1, onnotice: () => {} });
    const [applied] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await sql.end();
    expect(applied!.n).toBeGreaterThan(0);
  });

  it('carries a verification from start to VERIFIED pushed over graphql-ws', async () => {
    const token = await tokenFor('image-user');
    const started = await gql({ url }, START, { input: { realName: '钱二', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, token);
    expect(started.errors).toBeUndefined();
    const verification = started.data!.startVerification;
    expect(verification.status).toBe('PENDING');
    const client = wsClient({ url }, token);
    const watch = subscribe(client, WATCH, { id: verification.id });
    await watch.waitFor((events) => events.length === 1);
    expect(await sandbox.complete(verification.certifyId, 'pass')).toBe('done');
    await watch.done;
    await client.dispose();
    expect(watch.events.map((e) => e.verificationResult.status)).toEqual(['PENDING', 'VERIFIED']);
    const status = await gql({ url }, `query { userAuthStatus { status isValid } }`, {}, token);
    expect(status.data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true });
  });

  it('reports healthy through its node HEALTHCHECK', async () => {
    await waitUntil('docker to call it healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', name)).output.trim() === 'healthy', 90_000, 1000);
  });

  it('stops cleanly on SIGTERM', async () => {
    const stop = await docker('stop', '--time', '30', name);
    expect(stop.code).toBe(0);
    const state = JSON.parse((await docker('inspect', '-f', '{{json .State}}', name)).output) as { ExitCode: number; OOMKilled: boolean };
    expect(state).toMatchObject({ ExitCode: 0, OOMKilled: false });
    expect((await docker('logs', name)).output).toMatch(/"msg":"stopping"/);
  });
});
