import { loadConfig } from '../src/config.js';
import { parseMasterKeys } from '../src/crypto/envelope.js';
import { openPglite, openPostgres } from '../src/db/database.js';
import { rotateDataKeys } from '../src/services/key-rotation.js';
import { serviceAuditChain } from './audit-chain.js';

// REALNAME_MASTER_KEY=v1:<old>,v2:<new>: every data key is re-wrapped under the highest version.
// Safe while the service runs and safe to run again; prints counts only.
const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR, REALNAME_MASTER_KEY: process.env.REALNAME_MASTER_KEY, AUDIT_CHAIN_KEY: process.env.AUDIT_CHAIN_KEY });
// The rotation is audited: its event joins the chain under the service's key.
const audit = serviceAuditChain(config);
if (!config.REALNAME_MASTER_KEY) {
  console.error('set REALNAME_MASTER_KEY to the old and the new key, e.g. v1:<old>,v2:<new>');
  process.exit(2);
}
const keyring = parseMasterKeys(config.REALNAME_MASTER_KEY);
const handle = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: 2 }) : await openPglite(config.DATA_DIR);
try {
  const report = await rotateDataKeys(handle.db, audit, keyring);
  console.log(`re-wrapped ${report.rewrapped} data keys under v${report.toVersion}; ${report.skipped} changed meanwhile; ${report.unreadable} unreadable`);
  for (const { keyVersion, keys } of report.keysByVersion) console.log(`  v${keyVersion}: ${keys} data keys`);
  const older = report.keysByVersion.filter((v) => v.keyVersion < report.toVersion);
  if (report.unreadable > 0) {
    console.error('some data keys are wrapped by a version missing from REALNAME_MASTER_KEY (or it is wrong): keep the old keys and run again');
    process.exitCode = 1;
  } else if (older.length === 0) {
    console.log(`every data key is on v${report.toVersion}: keep the older versions (backups taken until now need them) for BACKUP_RETENTION_DAYS, then \`npm run keys:retire -- <version>\` and remove them from REALNAME_MASTER_KEY`);
  }
} finally {
  await handle.close();
}
