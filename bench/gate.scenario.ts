import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvFor, type BenchContext } from './context.js';
import { interleave, load, type Arm, type Target } from './load.js';
import { serverEnv, startServer, type BenchServer } from './processes.js';
import { gatePlan } from './plans.js';
import { summarise, type CpuProfile } from './profile.js';
import { comparisonTables, ms, profileTables, ratio } from './report.js';
import { bareTarget, gateTarget, typenameTarget } from './targets.js';

const GATE_RATIO = 0.8;
const GATE_P99_MS = 20;
const GROWTH_SPREAD = 1.2;

/**
 * Scenarios 1 and 2 in one interleaved loop. The gate (cache on, as deployed) against `{__typename}`
 * on the same server and a bare node:http server; and the growth arms on servers with the gate
 * cache off, one per database size, so every request reaches the database and only its size differs.
 */
export async function gateScenarios(ctx: BenchContext) {
  const { options: o, report, log } = ctx;
  const [smallest] = ctx.databases;
  const servers: BenchServer[] = [];
  try {
    const main = await startServer('app', serverEnv(appEnvFor(ctx, smallest!)));
    servers.push(main);
    const uncached = [];
    for (const db of ctx.databases) {
      const server = await startServer('app', serverEnv(appEnvFor(ctx, db, { GATE_CACHE_ENTRIES: '0' })));
      servers.push(server);
      uncached.push({ db, server });
    }
    const bare = await startServer('bare', { PATH: process.env.PATH ?? '' });
    servers.push(bare);

    const users = smallest!.verifiedUsers;
    const arm = (t: Target): Arm => ({ name: t.name, run: (s) => load(t, s, o.connections) });
    const typename = typenameTarget('{__typename}', main.url);
    const status = gateTarget('userAuthStatus', main.url, 'userAuthStatus', users);
    const verify = gateTarget('verifyIdentity', main.url, 'verifyIdentity', users);
    const own = gateTarget('userAuthStatus, own token', main.url, 'userAuthStatus', users, 'user');
    const growth = uncached.map(({ db, server }) => gateTarget(`userAuthStatus, no cache, ${label(db.records)}`, server.url, 'userAuthStatus', db.verifiedUsers));
    const uncachedVerify = gateTarget(`verifyIdentity, no cache, ${label(smallest!.records)}`, uncached[0]!.server.url, 'verifyIdentity', users);
    log(`scenarios 1+2: ${o.rounds} rounds × ${o.seconds} s, ${o.connections} connections`);
    const c = await interleave([typename, status, verify, own, bareTarget(bare.url), ...growth, uncachedVerify].map(arm), o.rounds, o.seconds, o.warmupSeconds, log);

    const body = report.section(`1 + 2. The letter gate, and growth (PostgreSQL + Redis, ${o.connections} connections)`);
    body.push(
      `Gate arms: a service token, a uniformly random one of the ${users} verified users of the ${label(smallest!.records)}-record database per request. ` +
        `\`{__typename}\` carries the same token, so both pay for HTTP, JWT and Apollo; the difference is the gate itself. ` +
        'A service’s read also writes an access-log event (one INSERT per request); the "own token" arm asks each user’s status with their own token, which writes none, so the difference between the two is the cost of that event. ' +
        `Growth arms run on servers with \`GATE_CACHE_ENTRIES=0\` (every request reaches PostgreSQL), each on its own database, users drawn from its whole population.`,
      '',
      ...comparisonTables(c, typename.name),
    );
    for (const t of [status, verify]) {
      const m = c.medians[t.name]!;
      report.check('1', `${t.name} / {__typename} throughput ≥ ${GATE_RATIO}`, ratio(c.ratio(t.name, typename.name)), c.ratio(t.name, typename.name) >= GATE_RATIO);
      report.check('1', `${t.name} p99 ≤ ${GATE_P99_MS} ms`, ms(m.p99), m.p99 <= GATE_P99_MS);
      report.check('1', `${t.name} errors = 0`, String(m.errors), m.errors === 0);
    }
    const p99s = growth.map((t) => c.medians[t.name]!.p99);
    const spread = Math.max(...p99s) / Math.min(...p99s);
    report.check('2', `p99 flat within 20 % over ${ctx.databases.map((d) => label(d.records)).join(' / ')}`, `${p99s.map(ms).join(' / ')} (max/min ${ratio(spread)})`, spread <= GROWTH_SPREAD);

    const plans = report.section('2b. The gate query’s plan at each size (`EXPLAIN (ANALYZE, BUFFERS)`, after the runs)');
    for (const db of ctx.databases) plans.push(`${label(db.records)} records:`, '', '```', await gatePlan(db.url, db.verifiedUsers), '```', '');

    for (const [title, server, target] of [
      ['CPU profile: userAuthStatus, gate cache on', main, status],
      ['CPU profile: userAuthStatus, gate cache off', uncached[0]!.server, growth[0]!],
    ] as const) {
      await server.call({ cmd: 'profile-start' });
      const r = await load(target, o.seconds, o.connections);
      const profile = await server.call<CpuProfile>({ cmd: 'profile-stop' });
      writeFileSync(join(ctx.workDir, `${title.replace(/\W+/g, '-').toLowerCase()}.cpuprofile`), JSON.stringify(profile));
      report.section(title).push(`During one ${o.seconds} s run (${r.rps.toFixed(0)} req/s, p99 ${ms(r.p99)}; the profiler itself costs a little).`, '', ...profileTables('Server process', summarise(profile)));
    }
  } finally {
    for (const s of servers) await s.close();
  }
}

export const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000} M` : n >= 1000 ? `${n / 1000} k` : String(n));
