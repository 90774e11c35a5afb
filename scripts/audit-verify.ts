import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres } from '../src/db/database.js';
import { verifyAuditChain } from '../src/services/audit-log.js';

// Only where the data lives: verifying needs no keys, so production's key requirements do not apply.
const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR });
const handle = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: 1 }) : await openPglite(config.DATA_DIR);
try {
  const report = await verifyAuditChain(handle.db);
  if (report.ok) {
    console.log(`audit chain intact: ${report.events} events (${handle.kind})`);
  } else {
    console.error(`audit chain broken at seq ${report.brokenAt}: ${report.why} (${report.events} events before it verified)`);
    process.exitCode = 1;
  }
} finally {
  await handle.close();
}
