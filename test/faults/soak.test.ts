import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDigit } from '../../src/domain/id-card.js';
import { createLogger } from '../../src/logger.js';
import { gql, LogCapture, serviceToken, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';
import { freePort, waitUntil } from './support/ports.js';
import { spawnSandbox, type ServiceProcess } from './support/service-process.js';
import { startVerification } from '../support/verified-user.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 6);
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { status } }`;
const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A distinct checksum-valid number per journey: birth dates step by a day from 1950. */
function idNumberFor(n: number) {
  const birth = new Date(Date.UTC(1950, 0, 1) + n * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `110101${birth}${String(100 + (n % 800)).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

interface Sample {
  second: number;
  rssMb: number;
  heapMb: number;
  handles: number;
  timers: number;
  sockets: number;
  channels: number;
}

const kinds = () => process.getActiveResourcesInfo().reduce<Record<string, number>>((k, r) => ({ ...k, [r]: (k[r] ?? 0) + 1 }), {});
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Least-squares slope of heap (MB) over time (s): the growth trend. */
function slope(samples: Sample[]) {
  const n = samples.length;
  const mx = samples.reduce((s, x) => s + x.second, 0) / n;
  const my = samples.reduce((s, x) => s + x.heapMb, 0) / n;
  const num = samples.reduce((s, x) => s + (x.second - mx) * (x.heapMb - my), 0);
  const den = samples.reduce((s, x) => s + (x.second - mx) ** 2, 0);
  return den ? num / den : 0;
}

describe(`soak: ${SECONDS} s of mixed load`, () => {
  let app: TestApp;
  let redis: Redis;
  let service: string;
  const samples: Sample[] = [];
  const outcomes = new Map<string, number>();
  let journeys = 0;

  let sandbox: ServiceProcess;
  const logs = new LogCapture();

  beforeAll(async () => {
    // The emulator keeps every session in memory: in a process of its own, it does not blur ours.
    sandbox = await spawnSandbox(await freePort());
    app = await startTestApp({
      env: {
        SANDBOX_URL: sandbox.url,
        START_LIMIT_PER_USER: '1000',
        START_LIMIT_PER_IP: '1000000',
        START_LIMIT_PER_ID_NUMBER: '1000',
        RECONCILE_INTERVAL_SECONDS: '5',
        RECONCILE_AFTER_SECONDS: '0',
        // Every journey is a new user: a full-size gate cache would grow for 50 000 users by design
        // and hide a real leak. A small one fills during the warm-up.
        GATE_CACHE_ENTRIES: '100',
      },
      overrides: { logger: createLogger('warn', logs) },
    });
    redis = new Redis(TEST_REDIS_URL);
    service = await serviceToken();
  });
  afterAll(async () => {
    await redis?.quit();
    await app?.stop();
    await sandbox?.stop();
  });

  /** Channels opened for clients; the service's own standing ones (userStatus) stay by design. */
  const channels = async () => ((await redis.pubsub('CHANNELS', `${app.config.REDIS_KEY_PREFIX}verificationResult:*`)) as string[]).length;
  const wsGauge = async () => Number(/^realname_ws_connections (\S+)$/m.exec(await (await fetch(`${app.url}/metrics`)).text())?.[1]);

  async function sample(second: number): Promise<Sample> {
    gc();
    const resources = process.getActiveResourcesInfo();
    const { rss, heapUsed } = process.memoryUsage();
    return { second, rssMb: mb(rss), heapMb: mb(heapUsed), handles: resources.length, timers: resources.filter((r) => r === 'Timeout').length, sockets: resources.filter((r) => r === 'TCPSocketWrap').length, channels: await channels() };
  }

  /** What the certify page's buttons do: the sandbox records it and calls us back before redirecting. */
  async function press(certifyUrl: string, outcome: 'pass' | 'fail') {
    const res = await fetch(certifyUrl, { method: 'POST', body: new URLSearchParams({ outcome }), redirect: 'manual' });
    await res.body?.cancel();
  }

  /** One user: start, watch, then pass, fail, cancel or walk away; then the gate and the status. */
  async function journey(n: number) {
    const userId = `soak-${n}`;
    const token = await tokenFor(userId);
    const started = await startVerification(app, token, { idCardNumber: idNumberFor(n) });
    const verification = started.data?.startVerification;
    if (!verification) return `start:${started.errors?.[0]?.extensions?.code}`;
    const client = wsClient(app, token);
    try {
      const watch = subscribe(client, WATCH, { id: verification.id });
      await watch.waitFor((e) => e.length >= 1);
      const ending = n % 10;
      if (ending === 0) return 'walked away';
      if (ending === 1) await gql(app, `mutation($id: ID!) { cancelVerification(id: $id) { status } }`, { id: verification.id }, token);
      else await press(verification.certifyUrl, ending < 7 ? 'pass' : 'fail');
      const patience = new AbortController();
      await Promise.race([watch.done, sleep(15_000, undefined, { signal: patience.signal }).catch(() => {})]);
      patience.abort();
      const last = watch.events.at(-1)?.verificationResult.status ?? 'none';
      await gql(app, `query { userAuthStatus { status isValid } }`, {}, token);
      await gql(app, GATE, { u: userId }, service);
      return last;
    } finally {
      await client.dispose();
    }
  }

  it('keeps memory, handles and Redis subscriptions flat, and leaves nothing behind', async () => {
    // Warm up: fill pools and caches before the baseline.
    await Promise.all(Array.from({ length: WORKERS * 3 }, (_, i) => journey(1_000_000 + i)));
    await waitUntil('the warm-up to settle', async () => (await wsGauge()) === 0 && (await channels()) === 0, 30_000, 200);
    const baseline = await sample(0);
    samples.push(baseline);

    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    let next = 0;
    const sampler = setInterval(() => {
      sample(Math.round((Date.now() - started) / 1000)).then(
        (s) => samples.push(s),
        () => {},
      );
    }, Math.max(1000, (SECONDS * 1000) / 30));
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < deadline) {
          const outcome = await journey(next++).catch((error: Error) => `error:${error.message.slice(0, 60)}`);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          journeys++;
        }
      }),
    );
    clearInterval(sampler);

    // Everyone has left: what remains must be what was there before.
    await waitUntil('clients to leave', async () => (await wsGauge()) === 0 && (await channels()) === 0, 30_000, 200);
    await waitUntil('sockets to close', () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length <= baseline.sockets, 30_000, 200);
    const after = await sample(Math.round((Date.now() - started) / 1000));
    samples.push(after);

    console.log(
      [
        `soak ${SECONDS}s, ${WORKERS} workers: ${journeys} journeys (${(journeys / SECONDS).toFixed(1)}/s)`,
        `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
        // The first half includes V8 compiling hot code; a leak shows as a slope in the second.
        `heap ${baseline.heapMb} → ${after.heapMb} MB (second-half trend ${(slope(samples.slice(samples.length / 2)) * 60).toFixed(2)} MB/min), rss ${baseline.rssMb} → ${after.rssMb} MB`,
        `handle kinds after ${JSON.stringify(kinds())}`,
        `handles ${baseline.handles} → ${after.handles}, sockets ${baseline.sockets} → ${after.sockets}, redis channels ${baseline.channels} → ${after.channels}`,
        `samples ${JSON.stringify(samples)}`,
      ].join('\n'),
    );

    expect([...outcomes.keys()].filter((k) => k.startsWith('error') || k.startsWith('start:'))).toEqual([]);
    expect(logs.lines).toEqual([]);
    expect(after.channels).toBe(0);
    expect(after.sockets).toBeLessThanOrEqual(baseline.sockets);
    // Timers come and go with the traffic (keep-alive, pool connection lifetimes): the handles that
    // would leak per connection — sockets, servers, pipes — must all be gone.
    expect(after.handles - after.timers).toBeLessThanOrEqual(baseline.handles - baseline.timers);
    // Retained heap after a full GC, once clients left: a leak per journey (a listener, a socket, a
    // subscription) over thousands of journeys would show as tens of MB.
    expect(after.heapMb - baseline.heapMb).toBeLessThan(Math.max(16, journeys * 0.002));
  }, SECONDS * 1000 + 180_000);
});
