/**
 * `npm run bench`: seeds its own databases, starts its own servers, runs the scenarios of issue #6
 * A B A B and writes bench/results.md. BENCH_QUICK=1 for a short run; see options.ts for the rest.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { BenchContext, SeededDatabase } from './context.js';
import { startCluster } from './cluster.js';
import { dropPostgres, preparePostgres } from './databases.js';
import { embeddedScenario } from './embedded.scenario.js';
import { flowScenarios } from './flow.scenario.js';
import { gateScenarios, label } from './gate.scenario.js';
import { readOptions } from './options.js';
import { replicaScenario } from './replicas.scenario.js';
import { Report, table } from './report.js';
import { verifiedUsersOf } from './seed.js';

const options = readOptions();
const workDir = fileURLToPath(new URL('./.work', import.meta.url));
mkdirSync(workDir, { recursive: true });
const cluster = options.ownCluster ? startCluster(workDir, options.clusterPort, options.sharedBuffers) : undefined;
if (cluster) options.postgresUrl = cluster.url;
process.on('exit', () => cluster?.stop());
const began = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const report = new Report();
const names = options.sizes.map((n, i) => (i === 0 ? 'realname_bench' : `realname_bench_${label(n).replace(' ', '').toLowerCase()}`));
const load0 = loadavg();

const pending = options.only.has('3') ? options.subscriptions : 0;
log(cluster ? `own PostgreSQL cluster on ${cluster.url} (shared_buffers ${cluster.sharedBuffers})` : `PostgreSQL at ${options.postgresUrl}`);
log(`seeding ${options.sizes.map(label).join(', ')} verification records (${names.join(', ')})`);
const databases: SeededDatabase[] = await Promise.all(
  options.sizes.map(async (records, i) => {
    const { url, seconds } = await preparePostgres(options.postgresUrl, names[i]!, { records, pending: i === 0 ? pending : 0 }, cluster ? 'buffer' : 'read');
    log(`  ${names[i]}: ${label(records)} records in ${seconds.toFixed(1)} s`);
    return { records, verifiedUsers: verifiedUsersOf(records), url, seedSeconds: seconds };
  }),
);
const ctx: BenchContext = { options, report, log, databases, runId: randomBytes(3).toString('hex'), workDir };

try {
  if (options.only.has('1') || options.only.has('2')) await gateScenarios(ctx);
  if (options.only.has('3') || options.only.has('4')) await flowScenarios(ctx);
  if (options.only.has('5')) await replicaScenario(ctx);
  if (options.only.has('embedded')) await embeddedScenario(ctx);
} finally {
  if (process.env.BENCH_KEEP !== '1') for (const name of names) await dropPostgres(options.postgresUrl, name);
  await forgetRedisKeys(options.redisUrl, 'bench:');
}

const head = [
  '# realname benchmark results',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString()} in ${((Date.now() - began) / 60_000).toFixed(1)} min${options.quick ? ' (BENCH_QUICK)' : ''}. ` +
    'Every comparison is interleaved (A B A B … in one run) and reported as medians over rounds; ratios are medians of per-round ratios, since absolute figures drift on a shared machine.',
  '',
  table(['', ''], [
    ['CPU', `${cpus().length} × ${cpus()[0]?.model ?? '?'}`],
    ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the end)`],
    ['load average (1 min) at start / end', `${load0[0]!.toFixed(2)} / ${loadavg()[0]!.toFixed(2)} (other work shares this machine)`],
    ['Node', process.version],
    ['PostgreSQL', `${await postgresVersion(options.postgresUrl)}${cluster ? `, the bench's own cluster (shared_buffers ${cluster.sharedBuffers})` : ', the machine’s instance'}`],
    ['Redis', await redisVersion(options.redisUrl)],
    ['settings', `${options.rounds} rounds × ${options.seconds} s (+${options.warmupSeconds} s warm-up per arm), ${options.connections} connections`],
    ['databases', databases.map((d, i) => `${names[i]}: ${label(d.records)} records, ${d.verifiedUsers} verified users, seeded in ${d.seedSeconds.toFixed(0)} s`).join('; ')],
  ]),
];
writeFileSync(options.output, report.render(head) + '\n');
log(`wrote ${options.output}`);
process.exit(0);

async function postgresVersion(url: string) {
  const sql = postgres(url, { max: 1 });
  try {
    const [row] = await sql`show server_version`;
    return String(row!.server_version);
  } finally {
    await sql.end();
  }
}

async function redisVersion(url: string) {
  const redis = new Redis(url);
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  } finally {
    redis.disconnect();
  }
}

/** Only our own prefix: the Redis is shared. */
async function forgetRedisKeys(url: string, prefix: string) {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
