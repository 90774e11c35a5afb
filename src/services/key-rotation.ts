import type { Database } from '../db/database.js';
import { DecryptionError, UnknownKeyVersionError, type MasterKeyring, type WrappedKey } from '../crypto/envelope.js';
import { masterKeyRepository } from '../repositories/master-key.repository.js';
import { userKeyRepository } from '../repositories/user-key.repository.js';
import type { AuditChain } from './audit-log.js';

export interface RotationReport {
  toVersion: number;
  rewrapped: number;
  /** Shredded or rotated by someone else between our read and our write. */
  skipped: number;
  /** Wrapped by a version missing from the keyring, or not opening under it: left as they were. */
  unreadable: number;
  /** Data keys per master key version afterwards; a version at 0 can leave REALNAME_MASTER_KEY. */
  keysByVersion: { keyVersion: number; keys: number }[];
}

/**
 * Re-wraps every data key under the keyring's current (highest) version, a page per transaction,
 * while the service runs: a data key opens under its own version until its row is re-wrapped.
 * Only rows below the current version are read, so a run stopped halfway resumes where it was and
 * a second run changes nothing. Data never needs re-encrypting: only the wrapping changes.
 * At the end each older version of the keyring is recorded as emptied (from now, if this run moved
 * its last keys) or as still holding keys: `keys:retire` counts BACKUP_RETENTION_DAYS from then.
 */
export async function rotateDataKeys(
  db: Database,
  audit: AuditChain,
  keyring: MasterKeyring,
  { pageSize = 500, clock = () => new Date() }: { pageSize?: number; clock?: () => Date } = {},
): Promise<RotationReport> {
  const toVersion = keyring.currentVersion;
  let rewrapped = 0;
  let skipped = 0;
  let unreadable = 0;
  /** Keys that left each version during this run: rewrapped here, or shredded or moved meanwhile. */
  const left = new Map<number, number>();
  let after = '';
  for (;;) {
    const page = await userKeyRepository.pageBelowVersion(db, toVersion, after, pageSize);
    if (page.length === 0) break;
    await db.transaction(async (tx) => {
      for (const row of page) {
        const next = rewrapOrNothing(keyring, { version: row.keyVersion, ciphertext: row.wrappedKey }, row.userId);
        if (!next) {
          unreadable++;
          continue;
        }
        const moved = await userKeyRepository.rewrap(tx, row.userId, row.keyVersion, { keyVersion: next.version, wrappedKey: next.ciphertext, rotatedAt: clock() });
        left.set(row.keyVersion, (left.get(row.keyVersion) ?? 0) + 1);
        if (moved) rewrapped++;
        else skipped++;
      }
    });
    after = page[page.length - 1]!.userId;
  }
  const keysByVersion = await userKeyRepository.countByVersion(db);
  await db.transaction(async (tx) => {
    const at = clock();
    for (const version of keyring.versions().filter((v) => v < toVersion)) {
      const keys = keysByVersion.find((v) => v.keyVersion === version)?.keys ?? 0;
      if (keys > 0) await masterKeyRepository.markHolding(tx, version);
      else await masterKeyRepository.markEmptied(tx, version, at, (left.get(version) ?? 0) > 0);
    }
    await audit.append(tx, { at, actor: 'operator', action: 'keys.rotated', detail: { toVersion, rewrapped, skipped, unreadable } });
  });
  return { toVersion, rewrapped, skipped, unreadable, keysByVersion };
}

function rewrapOrNothing(keyring: MasterKeyring, wrapped: WrappedKey, userId: string): WrappedKey | undefined {
  try {
    return keyring.rewrap(wrapped, userId);
  } catch (error) {
    if (error instanceof UnknownKeyVersionError || error instanceof DecryptionError) return undefined;
    throw error;
  }
}
