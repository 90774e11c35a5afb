import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { preparePglite } from './databases.js';
import { verifiedUsersOf } from './seed.js';
import { interleave, load, type Target } from './load.js';
import { serverEnv, startServer } from './processes.js';
import { comparisonTables } from './report.js';
import { gateTarget, typenameTarget } from './targets.js';
import { label } from './gate.scenario.js';

/** Scenario 1 on the embedded defaults: PGlite in DATA_DIR and the in-process bus, reported apart. */
export async function embeddedScenario(ctx: BenchContext) {
  const { options: o, report, log } = ctx;
  const records = o.sizes[0]!;
  const seeded = await preparePglite(join(ctx.workDir, 'embedded'), { records, pending: 0 });
  log(`embedded: PGlite seeded with ${records} records in ${seeded.seconds.toFixed(1)} s`);
  const server = await startServer('app', serverEnv({ DATA_DIR: seeded.dataDir, NODE_ENV: 'development' }));
  try {
    const users = verifiedUsersOf(records);
    const targets: Target[] = [
      typenameTarget('{__typename}', server.url),
      gateTarget('userAuthStatus', server.url, 'userAuthStatus', users),
      gateTarget('verifyIdentity', server.url, 'verifyIdentity', users),
    ];
    const c = await interleave(targets.map((t) => ({ name: t.name, run: (s) => load(t, s, o.connections) })), o.rounds, o.seconds, o.warmupSeconds, log);
    report.section(`Embedded mode (PGlite + in-process bus, ${label(records)} records, ${o.connections} connections)`).push(
      'The same gate arms as scenario 1, on `npm start`’s defaults in development mode (production refuses PGlite): one PGlite (WASM) database inside the server process, so every query shares the event loop.',
      '',
      ...comparisonTables(c, '{__typename}'),
    );
  } finally {
    await server.close();
  }
}
