import type { Database } from '../db/database.js';
import { DecryptionError, UnknownKeyVersionError, type MasterKeyring, type WrappedKey } from '../crypto/envelope.js';
import { userKeyRepository } from '../repositories/user-key.repository.js';
import { appendAudit } from './audit-log.js';

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
 */
export async function rotateDataKeys(
  db: Database,
  keyring: MasterKeyring,
  { pageSize = 500, clock = () => new Date() }: { pageSize?: number; clock?: () => Date } = {},
): Promise<RotationReport> {
  const toVersion = keyring.currentVersion;
  let rewrapped = 0;
  let skipped = 0;
  let unreadable = 0;
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
        if (moved) rewrapped++;
        else skipped++;
      }
    });
    after = page[page.length - 1]!.userId;
  }
  await db.transaction((tx) =>
    appendAudit(tx, { at: clock(), actor: 'operator', action: 'keys.rotated', detail: { toVersion, rewrapped, skipped, unreadable } }),
  );
  return { toVersion, rewrapped, skipped, unreadable, keysByVersion: await userKeyRepository.countByVersion(db) };
}

function rewrapOrNothing(keyring: MasterKeyring, wrapped: WrappedKey, userId: string): WrappedKey | undefined {
  try {
    return keyring.rewrap(wrapped, userId);
  } catch (error) {
    if (error instanceof UnknownKeyVersionError || error instanceof DecryptionError) return undefined;
    throw error;
  }
}
