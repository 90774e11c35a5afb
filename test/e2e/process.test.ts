import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema, type IntrospectionQuery } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { root, serviceEntry } from '../support/dist.js';

/**
 * What `npm start` runs, as a new user runs it: nothing configured but a data directory, and port 0
 * for the service and the sandbox, so the system picks free ones (a guessed port can be taken, or
 * collide with the ephemeral range). The service logs the port it got.
 */
function startService(dataDir: string) {
  const child = spawn(process.execPath, [serviceEntry], {
    cwd: root,
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', SANDBOX_PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let announce: (port: number) => void;
  const port = new Promise<number>((resolve) => (announce = resolve));
  child.stdout!.on('data', (d) => {
    output += d;
    const listening = output.split('\n').slice(0, -1).find((line) => line.includes('"msg":"realname listening"'));
    if (listening) announce((JSON.parse(listening) as { port: number }).port);
  });
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, port, output: () => output };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 45_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error('service exited before it was healthy');
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('service did not become healthy');
}

describe('the service process', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz and /readyz with nothing configured, then stops gracefully on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'realname-process-'));
    dirs.push(dataDir);
    const service = startService(dataDir);
    try {
      const port = await Promise.race([service.port, service.exited.then(() => Promise.reject(new Error(`service exited: ${service.output()}`)))]);
      const url = `http://127.0.0.1:${port}`;
      expect(await (await waitForHealth(url, service.child)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      // The bundle serves the contract: type-graphql names types after their classes, which a
      // bundler may rename when two modules use one name.
      const introspection = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: getIntrospectionQuery({ specifiedByUrl: true, inputValueDeprecation: true, directiveIsRepeatable: true }) }) });
      const served = buildClientSchema(((await introspection.json()) as { data: IntrospectionQuery }).data);
      const committed = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
      expect(printSchema(lexicographicSortSchema(served))).toBe(printSchema(lexicographicSortSchema(committed)));

      // An open graphql-ws socket must not hold the process up: it is closed on the way out.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const closed = new Promise((resolve) => socket.once('close', resolve));

      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      await closed;
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      expect(service.output()).toContain('secrets.json');
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses to start in production without its keys, naming each variable', async () => {
    const child = spawn(process.execPath, [serviceEntry], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    for (const name of ['AUTH_JWT_SECRET', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'REALNAME_MASTER_KEY', 'REALNAME_INDEX_KEY', 'AUDIT_CHAIN_KEY', 'DATABASE_URL', 'METRICS_TOKEN', 'PUBLIC_BASE_URL', 'PROVIDER']) {
      expect(stderr).toContain(name);
    }
  }, 30_000);
});
