import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres } from '../src/db/database.js';
import { retireMasterKeyVersion, RetirementRefused } from '../src/services/key-retirement.js';
import { serviceAuditChain } from './audit-chain.js';

// npm run keys:retire -- v1: after `keys:rotate` emptied v1 and BACKUP_RETENTION_DAYS have passed,
// records v1 as retired. The operator then removes it from REALNAME_MASTER_KEY and destroys it.
const arg = process.argv[2];
const match = arg ? /^v?([1-9]\d{0,8})$/.exec(arg) : null;
if (!match) {
  console.error('usage: npm run keys:retire -- <version>   (e.g. v1)');
  process.exit(2);
}
const version = Number(match[1]);
const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR, AUDIT_CHAIN_KEY: process.env.AUDIT_CHAIN_KEY, BACKUP_RETENTION_DAYS: process.env.BACKUP_RETENTION_DAYS });
// The retirement is audited: its event joins the chain under the service's key.
const audit = serviceAuditChain(config);
const handle = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: 2 }) : await openPglite(config.DATA_DIR);
try {
  const retired = await retireMasterKeyVersion(handle.db, audit, version, { backupRetentionDays: config.BACKUP_RETENTION_DAYS });
  console.log(`${retired.already ? 'already retired' : 'retired'}: v${version} (${retired.retiredAt.toISOString()})`);
  console.log(`now remove v${version} from REALNAME_MASTER_KEY on every replica and destroy every copy of it: the service refuses to start while it is listed`);
} catch (error) {
  if (!(error instanceof RetirementRefused)) throw error;
  console.error(`refused: ${error.message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
