import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ServerCommand } from './server-process.js';
import { BENCH_AUDIENCE, BENCH_INDEX_KEY, BENCH_ISSUER, BENCH_JWT_SECRET, BENCH_MASTER_KEY } from './fixtures.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Environment every benchmark server shares: fixed keys, quiet logs, limits out of the way of load. */
export function serverEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PROVIDER: 'sandbox',
    ALLOW_SANDBOX: 'true',
    AUTH_ISSUER: BENCH_ISSUER,
    AUTH_AUDIENCE: BENCH_AUDIENCE,
    METRICS_TOKEN: 'bench-metrics-token-0123456789',
    AUDIT_CHAIN_KEY: Buffer.alloc(32, 11).toString('base64'),
    HOST: '127.0.0.1',
    PORT: '0',
    SANDBOX_PORT: '0',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: BENCH_JWT_SECRET,
    REALNAME_MASTER_KEY: BENCH_MASTER_KEY,
    REALNAME_INDEX_KEY: BENCH_INDEX_KEY,
    RECONCILE_INTERVAL_SECONDS: '3600',
    START_LIMIT_PER_IP: '100000000',
    // Every benchmark socket comes from 127.0.0.1 (10 000 idle subscriptions).
    WS_MAX_SOCKETS_PER_IP: '100000000',
    ...extra,
  };
}

export interface BenchServer {
  url: string;
  pid: number;
  child: ChildProcess;
  call<T = unknown>(message: ServerCommand): Promise<T>;
  close(): Promise<void>;
}

/**
 * The V8 flags `npm start` and the image give the service (package.json, Dockerfile): a 4 MB
 * semi-space, where V8's default young generation let 10 000 subscriptions' opening burst grow the
 * heap, and RSS with it, by ~80 MB more (bench/NOTES.md). BENCH_SERVER_FLAGS="" runs without.
 */
const serviceFlags = () => (process.env.BENCH_SERVER_FLAGS ?? '--max-semi-space-size=4').split(' ').filter(Boolean);

/** `bench/server-process.ts` (createApp, bundled as `npm start`'s service is, into dist/bench-bundle) or `bench/bare-server.ts` (compiled into dist/bench), in a child process answering over IPC. */
export async function startServer(kind: 'app' | 'bare', env: Record<string, string>): Promise<BenchServer> {
  // Production mode wants PUBLIC_BASE_URL (the sandbox calls back on it), so the port is chosen here.
  const port = await freePort();
  const child = fork(here(kind === 'app' ? '../dist/bench-bundle/server-process.js' : '../dist/bench/bare-server.js'), [], {
    env: kind === 'app' ? { ...env, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } : env,
    // Compiled (`npm run bench` builds them with the server): no tsx, whose loader and hooks were
    // ~40 MB and ~2 % of CPU, nor Node's type stripper (~18 MB), so the process is what `npm start` runs.
    // The app server runs with npm start's flags; BENCH_SERVER_FLAGS replaces them, to compare settings.
    execArgv: ['--expose-gc', '--max-old-space-size=1024', ...(kind === 'app' ? serviceFlags() : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code} before it was ready`)));
    child.on('message', (raw) => {
      const message = raw as { ready?: boolean; url: string; pid: number; id?: number; value?: unknown; error?: string };
      if (message.ready) return resolve(message);
      const waiter = pending.get(message.id!);
      pending.delete(message.id!);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.value);
    });
  });
  const { url, pid } = await ready;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const call = <T,>(message: ServerCommand) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ id, ...message });
    });
  return {
    url,
    pid,
    child,
    call,
    close: async () => {
      if (child.exitCode !== null) return;
      if (kind === 'app') await call({ cmd: 'close' }).catch(() => {});
      else child.send({ cmd: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port, for services (like `src/main.ts`) that must be told theirs. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** What `npm start` runs (`node dist/bundle/main.js`, built by `npm run bench`'s prebench) as a replica; ready once /readyz answers 200. */
export async function startReplica(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [...serviceFlags(), here('../dist/bundle/main.js')], {
    env: { ...env, PORT: String(port), SANDBOX_PORT: String(await freePort()), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('replica not ready after 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
