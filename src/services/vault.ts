import type { Database, Executor } from '../db/database.js';
import { newDataKey, openFieldText, openField, sealField, type FieldAad, type MasterKeyring } from '../crypto/envelope.js';
import { userKeyRepository } from '../repositories/user-key.repository.js';

/**
 * Personal data at rest: each value sealed under its owner's data key, each data key wrapped by the
 * master keyring. Deleting a user's key (shred) leaves every copy of their data unreadable,
 * backups included.
 */
export class PersonalDataVault {
  constructor(
    private readonly db: Database,
    private readonly keyring: MasterKeyring,
    private readonly clock: () => Date,
  ) {}

  private async dataKey(db: Executor, userId: string, create: boolean): Promise<Buffer | undefined> {
    let row = await userKeyRepository.byUser(db, userId);
    if (!row && create) {
      const wrapped = this.keyring.wrapDataKey(newDataKey(), userId);
      row = await userKeyRepository.insertOrGet(db, {
        userId,
        keyVersion: wrapped.version,
        wrappedKey: wrapped.ciphertext,
        createdAt: this.clock(),
      });
    }
    return row && this.keyring.unwrapDataKey({ version: row.keyVersion, ciphertext: row.wrappedKey }, userId);
  }

  async seal(userId: string, values: { aad: FieldAad; value: string | Buffer }[], db: Executor = this.db) {
    const key = (await this.dataKey(db, userId, true))!;
    return values.map(({ aad, value }) => sealField(key, value, aad));
  }

  /** Null for each value when the user's key has been shredded or the value erased. */
  async openText(userId: string, values: { aad: FieldAad; sealed: Buffer | null }[], db: Executor = this.db) {
    const key = await this.dataKey(db, userId, false);
    return values.map(({ aad, sealed }) => (key && sealed ? openFieldText(key, sealed, aad) : null));
  }

  async openBytes(userId: string, aad: FieldAad, sealed: Buffer, db: Executor = this.db) {
    const key = await this.dataKey(db, userId, false);
    return key ? openField(key, sealed, aad) : null;
  }

  async shred(db: Executor, userId: string) {
    return userKeyRepository.delete(db, userId);
  }
}
