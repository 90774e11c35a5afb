import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres } from '../src/db/database.js';
import type { ChainHead } from '../src/services/audit-log.js';
import { serviceAuditChain } from './audit-chain.js';

// `npm run audit:verify [-- --head <seq>:<hash>]`: checks every link under AUDIT_CHAIN_KEY (or the
// embedded key in DATA_DIR) and, given a head kept from the `audit chain head` log line, that it is
// still there unchanged. Needs only where the data lives and the chain key.
const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR, AUDIT_CHAIN_KEY: process.env.AUDIT_CHAIN_KEY });
const audit = serviceAuditChain(config);
const headArg = process.argv.indexOf('--head');
let expectedHead: ChainHead | undefined;
if (headArg !== -1) {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(process.argv[headArg + 1] ?? '');
  if (!match) {
    console.error('--head takes <seq>:<hash>, as the `audit chain head` log line gives them');
    process.exit(2);
  }
  expectedHead = { seq: Number(match[1]), hash: match[2]! };
}
const handle = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: 1 }) : await openPglite(config.DATA_DIR);
try {
  const report = await audit.verify(handle.db, { expectedHead });
  if (report.ok) {
    const head = report.head ? `; head ${report.head.seq}:${report.head.hash}` : '';
    console.log(`audit chain intact: ${report.events} events${expectedHead ? `, including head ${expectedHead.seq}` : ''} (${handle.kind})${head}`);
  } else {
    console.error(`audit chain broken at seq ${report.brokenAt}: ${report.why} (${report.events} events before it verified)`);
    process.exitCode = 1;
  }
} finally {
  await handle.close();
}
