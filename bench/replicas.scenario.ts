import { appEnvFor, type BenchContext } from './context.js';
import { interleave, load, loadTogether } from './load.js';
import { serverEnv, startReplica } from './processes.js';
import { comparisonTables, ratio } from './report.js';
import { gateTarget } from './targets.js';

/** Scenario 5: `node dist/bundle/main.js` (what `npm start` runs) twice on one PostgreSQL and Redis; one replica alone against both together, same total connections. */
export async function replicaScenario(ctx: BenchContext) {
  const { options: o, report, log } = ctx;
  const db = ctx.databases[0]!;
  const env = serverEnv(appEnvFor(ctx, db));
  const replicas = [await startReplica(env), await startReplica(env)];
  try {
    const [a, b] = replicas.map((r, i) => gateTarget(`replica ${i + 1}`, r.url, 'verifyIdentity', db.verifiedUsers));
    log(`scenario 5: two replicas, ${o.rounds} rounds × ${o.seconds} s`);
    const c = await interleave(
      [
        { name: 'one replica', run: (s) => load(a!, s, o.connections) },
        { name: 'two replicas', run: (s) => loadTogether([a!, b!], s, o.connections) },
      ],
      o.rounds,
      o.seconds,
      o.warmupSeconds,
      log,
    );
    const body = report.section(`5. Two replicas on one PostgreSQL and Redis (verifyIdentity, ${o.connections} connections in total)`);
    body.push(
      `Each replica is \`node dist/bundle/main.js\` (what \`npm start\` runs) in its own process, same env; "two replicas" splits the connections ${o.connections / 2} + ${o.connections / 2} and adds their throughput (p99: the worse of the two).`,
      '',
      ...comparisonTables(c, 'one replica'),
    );
    report.check('5', 'total gate throughput, two replicas (reported)', `${c.medians['two replicas']!.rps.toFixed(0)} req/s (× ${ratio(c.ratio('two replicas', 'one replica'))} of one)`, c.medians['two replicas']!.errors === 0);
  } finally {
    for (const r of replicas) await r.close();
  }
}
