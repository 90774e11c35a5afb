import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvFor, type BenchContext } from './context.js';
import { openSubscriptions, paced, percentile } from './fanout.js';
import { pendingUserId, verificationIdOfPending } from './fixtures.js';
import { interleave, load, type Arm, type Target } from './load.js';
import { serverEnv, startServer } from './processes.js';
import { summarise, type CpuProfile } from './profile.js';
import { comparisonTables, mb, ms, profileTables, table } from './report.js';
import { startMany, startTarget, typenameTarget } from './targets.js';

const RSS_LIMIT = 300 * 1024 * 1024;
const EVENT_P99_MS = 50;

/**
 * Scenarios 3 and 4 on one fresh server (cache on) over the smallest database: verifications
 * started through the API (so the sandbox holds their sessions), `subscriptions` idle watchers, then
 * callbacks; then the start rate against `{__typename}`, with a CPU profile.
 */
export async function flowScenarios(ctx: BenchContext) {
  const { options: o, report, log } = ctx;
  const server = await startServer('app', serverEnv(appEnvFor(ctx, ctx.databases[0]!)));
  try {
    if (o.only.has('3')) await fanOut(ctx, server);
    if (o.only.has('4')) {
      const arm = (t: Target): Arm => ({ name: t.name, run: (s) => load(t, s, o.connections) });
      const typename = typenameTarget('{__typename}', server.url);
      const start = startTarget('startVerification', server.url, `${ctx.runId}r`);
      log(`scenario 4: start rate, ${o.rounds} rounds × ${o.seconds} s`);
      const c = await interleave([typename, start].map(arm), o.rounds, o.seconds, o.warmupSeconds, log);
      await server.call({ cmd: 'profile-start' });
      const r = await load(start, o.seconds, o.connections);
      const raw = await server.call<CpuProfile>({ cmd: 'profile-stop' });
      writeFileSync(join(ctx.workDir, 'cpu-profile-startverification.cpuprofile'), JSON.stringify(raw));
      const profile = summarise(raw);
      const body = report.section(`4. Start rate (sandbox emulator in the server process, ${o.connections} connections)`);
      body.push(
        'Each request is a new user with its own token and ID number: validation, consent, limits (Redis), Id2MetaVerify and InitFaceVerify over signed HTTP to the emulator, envelope encryption, one transaction with audit events, a publish.',
        '',
        ...comparisonTables(c, typename.name),
        '',
        `Profiled run: ${r.rps.toFixed(0)} req/s, p99 ${ms(r.p99)}. The emulator runs in the same process, so its signature checks show in the profile too.`,
        '',
        ...profileTables('Server process during startVerification', profile),
      );
      report.check('4', 'startVerification throughput and p99 (reported)', `${c.medians[start.name]!.rps.toFixed(0)} req/s, p99 ${ms(c.medians[start.name]!.p99)}`, c.medians[start.name]!.errors === 0);
    }
  } finally {
    await server.close();
  }
  if (o.only.has('3') && o.multiplex > 1) await fanOutMultiplexed(ctx);
}

/** The same number of idle subscriptions on a fresh server, `multiplex` to a WebSocket: what a subscription costs without its own connection. */
async function fanOutMultiplexed(ctx: BenchContext) {
  const { options: o, report, log } = ctx;
  // A gateway's sockets carry many users' subscriptions under one service token: the per-socket and
  // per-user caps (20 and 10 by default) raised to match.
  const caps = { WS_MAX_SUBSCRIPTIONS_PER_SOCKET: String(o.multiplex), WS_MAX_SOCKETS_PER_USER: String(Math.ceil(o.subscriptions / o.multiplex)) };
  const server = await startServer('app', serverEnv(appEnvFor(ctx, ctx.databases[0]!, caps)));
  try {
    const before = await server.call<NodeJS.MemoryUsage>({ cmd: 'memory' });
    log(`scenario 3: opening ${o.subscriptions} subscriptions, ${o.multiplex} per WebSocket`);
    const idle = Array.from({ length: o.subscriptions }, (_, i) => ({ userId: pendingUserId(i + 1), verificationId: verificationIdOfPending(i + 1) }));
    const subs = await openSubscriptions(server.url, idle, o.multiplex);
    const failed = [...subs.watchers.values()].filter((w) => w.failed || w.events === 0).length;
    const holding = await server.call<NodeJS.MemoryUsage>({ cmd: 'memory' });
    await subs.close();
    report.section(`3b. The same ${o.subscriptions} idle subscriptions, ${o.multiplex} per WebSocket`).push(
      `A fresh server; ${Math.ceil(o.subscriptions / o.multiplex)} graphql-ws clients under a service token (a gateway multiplexing its users); ${failed} failed to open.`,
      '',
      table(
        ['measure', 'value'],
        [
          ['RSS before subscriptions', mb(before.rss)],
          [`RSS holding ${o.subscriptions} subscriptions`, mb(holding.rss)],
          ['V8 heap holding them: used / total; external', `${mb(holding.heapUsed)} / ${mb(holding.heapTotal)}; ${mb(holding.external)}`],
          ['RSS per subscription (delta)', `${((holding.rss - before.rss) / o.subscriptions / 1024).toFixed(1)} KB`],
        ],
      ),
    );
    report.check('3', `RSS with ${o.subscriptions} subscriptions, ${o.multiplex} per WebSocket < 300 MB`, mb(holding.rss), holding.rss < RSS_LIMIT && failed === 0);
  } finally {
    await server.close();
  }
}

async function fanOut(ctx: BenchContext, server: Awaited<ReturnType<typeof startServer>>) {
  const { options: o, report, log } = ctx;
  const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  log(`scenario 3: starting ${o.completions} verifications to complete later`);
  const started = await startMany(server.url, `${ctx.runId}f`, o.completions);
  const idle = Array.from({ length: o.subscriptions - o.completions }, (_, i) => ({ userId: pendingUserId(i + 1), verificationId: verificationIdOfPending(i + 1) }));
  const before = await server.call<NodeJS.MemoryUsage>({ cmd: 'memory' });
  const snapshot = async (name: string) => o.heapSnapshot && log(`scenario 3: heap snapshot ${await server.call({ cmd: 'heap-snapshot', path: join(ctx.workDir, `${name}.heapsnapshot`) })}`);
  await snapshot('before-subscriptions');

  log(`scenario 3: opening ${o.subscriptions} subscriptions (one WebSocket each; ulimit -n ${limit})`);
  const t0 = performance.now();
  const subs = await openSubscriptions(server.url, [...idle, ...started]);
  const openSeconds = (performance.now() - t0) / 1000;
  const failedToOpen = [...subs.watchers.values()].filter((w) => w.failed || w.events === 0).length;
  const holding = await server.call<NodeJS.MemoryUsage>({ cmd: 'memory' });
  await snapshot('holding-subscriptions');

  log(`scenario 3: completing ${started.length} by callback at ${o.callbackRate}/s`);
  await server.call({ cmd: 'profile-start' });
  const spanSeconds = await paced(started.map((s) => s.certifyId), o.callbackRate, (certifyIds) => void server.call({ cmd: 'complete', certifyIds }));
  const deadline = Date.now() + 30_000;
  while (started.some((s) => !subs.watchers.get(s.verificationId)!.verifiedAt) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const rawProfile = await server.call<CpuProfile>({ cmd: 'profile-stop' });
  writeFileSync(join(ctx.workDir, 'cpu-profile-completions.cpuprofile'), JSON.stringify(rawProfile));
  const receipts = await server.call<Record<string, { received: number; answered?: number }>>({ cmd: 'callback-receipts' });
  const latencies: number[] = [];
  const handling: number[] = [];
  let lost = 0;
  for (const s of started) {
    const at = subs.watchers.get(s.verificationId)!.verifiedAt;
    const receipt = receipts[s.certifyId];
    if (at === undefined || receipt === undefined) lost++;
    else latencies.push(at - receipt.received);
    if (receipt?.answered) handling.push(receipt.answered - receipt.received);
  }
  const strayEvents = idle.filter((s) => subs.watchers.get(s.verificationId)!.events !== 1).length;
  const after = await server.call<NodeJS.MemoryUsage>({ cmd: 'memory' });
  await subs.close();

  const p99 = percentile(latencies, 99);
  const body = report.section(`3. Fan-out: ${o.subscriptions} idle verificationResult subscriptions on one process`);
  body.push(
    `One graphql-ws client and one WebSocket per subscription (as browsers hold them), each with its own user token; ${idle.length} watch seeded PENDING records, ${started.length} watch verifications started through the API. ` +
      `Opened with 100 in flight in ${openSeconds.toFixed(1)} s; ${failedToOpen} failed to open. Memory is read after a forced GC (the server runs with --expose-gc). ` +
      `Then ${started.length} sessions are passed in the sandbox at ${o.callbackRate}/s (over ${spanSeconds.toFixed(1)} s); the sandbox calls the callback route like Aliyun. ` +
      'Latency runs from the callback request reaching the server (diagnostics_channel `http.server.request.start`) to the VERIFIED event reaching the client; both clocks are the same machine’s.',
    '',
    table(
      ['measure', 'value'],
      [
        ['RSS before subscriptions (after the setup starts)', mb(before.rss)],
        [`RSS holding ${o.subscriptions} subscriptions`, mb(holding.rss)],
        ['V8 heap holding them: used / total; external', `${mb(holding.heapUsed)} / ${mb(holding.heapTotal)}; ${mb(holding.external)}`],
        ['RSS per subscription (delta)', `${((holding.rss - before.rss) / o.subscriptions / 1024).toFixed(1)} KB`],
        ['RSS after the completions', mb(after.rss)],
        ['callback → event p50 / p90 / p99 / max', [50, 90, 99, 100].map((p) => ms(percentile(latencies, p))).join(' / ')],
        ['of which the callback request itself (receipt → response: DescribeFaceVerify, the transaction, the publish) p50 / p99', [50, 99].map((p) => ms(percentile(handling, p))).join(' / ')],
        ['events lost', String(lost)],
        ['idle subscriptions that saw anything but their first state', String(strayEvents)],
      ],
    ),
  );
  body.push('', ...profileTables('Server process while the callbacks came in (until the last event arrived)', summarise(rawProfile)));
  report.check('3', `RSS with ${o.subscriptions} subscriptions, one WebSocket each < 300 MB`, mb(holding.rss), holding.rss < RSS_LIMIT && failedToOpen === 0);
  report.check('3', `callback → event p99 ≤ ${EVENT_P99_MS} ms`, ms(p99), p99 <= EVENT_P99_MS);
  report.check('3', 'no event lost', String(lost), lost === 0 && strayEvents === 0);
}
