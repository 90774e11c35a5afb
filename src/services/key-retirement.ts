import { ConfigError } from '../config.js';
import type { MasterKeyring } from '../crypto/envelope.js';
import type { Database } from '../db/database.js';
import { masterKeyRepository } from '../repositories/master-key.repository.js';
import { userKeyRepository } from '../repositories/user-key.repository.js';
import type { AuditChain } from './audit-log.js';

const DAY_MS = 86_400_000;

/** Why `keys:retire` will not retire a version yet; the message tells the operator what to do. */
export class RetirementRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetirementRefused';
  }
}

export interface Retirement {
  version: number;
  retiredAt: Date;
  /** Retired by an earlier run: nothing changed. */
  already: boolean;
}

/**
 * A backup taken while a master key version still wrapped data keys stays readable as long as that
 * version exists somewhere. So a version is retired only once no live data key uses it and every
 * backup taken before its last key left it has aged out (BACKUP_RETENTION_DAYS after the rotation
 * that emptied it). Retired, it must leave REALNAME_MASTER_KEY and be destroyed: the service
 * refuses to start while it is still listed (`refuseRetiredMasterKeys`).
 */
export async function retireMasterKeyVersion(
  db: Database,
  audit: AuditChain,
  version: number,
  { backupRetentionDays, clock = () => new Date() }: { backupRetentionDays: number; clock?: () => Date },
): Promise<Retirement> {
  return db.transaction(async (tx) => {
    const now = clock();
    const recorded = await masterKeyRepository.byVersion(tx, version);
    if (recorded?.retiredAt) return { version, retiredAt: recorded.retiredAt, already: true };
    const keys = await userKeyRepository.countOfVersion(tx, version);
    if (keys > 0) {
      throw new RetirementRefused(`v${version} still wraps ${keys} data keys: run \`npm run keys:rotate\` with a newer key in REALNAME_MASTER_KEY first`);
    }
    if (!recorded?.emptiedAt) {
      throw new RetirementRefused(`no rotation has found v${version} empty yet: run \`npm run keys:rotate\` with v${version} and a newer key in REALNAME_MASTER_KEY first`);
    }
    const allowedFrom = new Date(recorded.emptiedAt.getTime() + backupRetentionDays * DAY_MS);
    if (now < allowedFrom) {
      throw new RetirementRefused(
        `backups taken until ${recorded.emptiedAt.toISOString()} hold data keys wrapped by v${version}, and are kept BACKUP_RETENTION_DAYS=${backupRetentionDays} days: retire v${version} on or after ${allowedFrom.toISOString()}`,
      );
    }
    await masterKeyRepository.retire(tx, version, now);
    await audit.append(tx, { at: now, actor: 'operator', action: 'keys.retired', detail: { version, emptiedAt: recorded.emptiedAt.toISOString(), backupRetentionDays } });
    return { version, retiredAt: now, already: false };
  });
}

/** Start-up: a retired version still in REALNAME_MASTER_KEY would keep old backups readable. */
export async function refuseRetiredMasterKeys(db: Database, keyring: MasterKeyring): Promise<void> {
  const configured = new Set(keyring.versions());
  const listed = (await masterKeyRepository.retired(db)).filter((row) => configured.has(row.version));
  if (listed.length === 0) return;
  throw new ConfigError(
    listed.map(
      (row) =>
        `REALNAME_MASTER_KEY: v${row.version} was retired on ${row.retiredAt!.toISOString()} (npm run keys:retire): remove it from REALNAME_MASTER_KEY on every replica and destroy every copy of it`,
    ),
  );
}
