import type { Database, Executor } from '../db/database.js';
import { newDataKey, openFieldText, openField, sealField, type FieldAad, type MasterKeyring } from '../crypto/envelope.js';
import { userKeyRepository } from '../repositories/user-key.repository.js';

/** Each sealed column's AAD binds the value to its table, column and row. */
const aad = {
  name: (verificationId: string) => ({ table: 'verifications', column: 'name_cipher', rowId: verificationId }),
  idCardNumber: (verificationId: string) => ({ table: 'verifications', column: 'id_number_cipher', rowId: verificationId }),
  faceImage: (verificationId: string) => ({ table: 'face_images', column: 'image_cipher', rowId: verificationId }),
};

/** A verification's sealed applicant: the name and number as the user gave them. */
interface SealedApplicant {
  id: string;
  nameCipher: Buffer | null;
  idNumberCipher: Buffer | null;
}

/**
 * Personal data at rest: each value sealed under its owner's data key, each data key wrapped by the
 * master keyring. Deleting a user's key (shred) leaves every live copy of their data unreadable at
 * once; a backup still holds the wrapped key until the master key versions that wrapped it are
 * retired (see key-retirement.ts).
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

  async sealApplicant(userId: string, verificationId: string, applicant: { realName: string; idCardNumber: string }) {
    const [nameCipher, idNumberCipher] = await this.seal(userId, [
      { aad: aad.name(verificationId), value: applicant.realName },
      { aad: aad.idCardNumber(verificationId), value: applicant.idCardNumber },
    ]);
    return { nameCipher: nameCipher!, idNumberCipher: idNumberCipher! };
  }

  /** One user's verifications, opened under one key lookup; nulls where erased or shredded. */
  async openApplicants(userId: string, rows: readonly SealedApplicant[]) {
    const opened = await this.openText(
      userId,
      rows.flatMap((row) => [
        { aad: aad.name(row.id), sealed: row.nameCipher },
        { aad: aad.idCardNumber(row.id), sealed: row.idNumberCipher },
      ]),
    );
    return rows.map((_, i) => ({ realName: opened[2 * i] ?? null, idCardNumber: opened[2 * i + 1] ?? null }));
  }

  async sealFaceImage(tx: Executor, userId: string, verificationId: string, image: Buffer) {
    const [imageCipher] = await this.seal(userId, [{ aad: aad.faceImage(verificationId), value: image }], tx);
    return imageCipher!;
  }

  async openFaceImage(userId: string, verificationId: string, sealed: Buffer) {
    return this.openBytes(userId, aad.faceImage(verificationId), sealed);
  }

  /** Deletes the user's data key; returns the master key version that wrapped it (undefined: none). */
  async shred(db: Executor, userId: string): Promise<number | undefined> {
    return userKeyRepository.delete(db, userId);
  }
}
