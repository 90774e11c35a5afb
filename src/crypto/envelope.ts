import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * Envelope encryption with AES-256-GCM: each user has a data key that seals their fields, and the
 * data key is stored wrapped by a versioned master key from REALNAME_MASTER_KEY. Deleting a user's
 * wrapped key shreds everything of theirs in the live database; a backup's copy of the wrapped key
 * stays readable until every master key version that wrapped it is destroyed (keys:retire).
 */

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FIELD_FORMAT_V1 = 0x01;

export interface WrappedKey {
  version: number;
  /** iv(12) ‖ tag(16) ‖ encrypted data key(32) */
  ciphertext: Buffer;
}

/** Where a sealed value lives; it cannot be opened anywhere else. */
export interface FieldAad {
  table: string;
  column: string;
  rowId: string;
}

/** Wrong key, wrong place or tampered bytes; deliberately says nothing more. */
export class DecryptionError extends Error {
  constructor() {
    super('decryption failed');
    this.name = 'DecryptionError';
  }
}

export class UnknownKeyVersionError extends Error {
  constructor(readonly version: number) {
    super(`master key version ${version} is not in REALNAME_MASTER_KEY`);
    this.name = 'UnknownKeyVersionError';
  }
}

export class MasterKeyring {
  readonly currentVersion: number;
  readonly #keys: ReadonlyMap<number, KeyObject>;

  constructor(keys: ReadonlyMap<number, Buffer>) {
    if (keys.size === 0) throw new Error('a master keyring needs at least one key');
    const objects = new Map<number, KeyObject>();
    for (const [version, key] of keys) {
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new Error(`master key version ${version} is not a positive integer`);
      }
      if (key.length !== KEY_BYTES) throw new Error(`master key v${version} must be ${KEY_BYTES} bytes`);
      objects.set(version, createSecretKey(key));
    }
    this.#keys = objects;
    this.currentVersion = Math.max(...objects.keys());
  }

  versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  wrapDataKey(dataKey: Buffer, userId: string): WrappedKey {
    if (dataKey.length !== KEY_BYTES) throw new Error(`a data key must be ${KEY_BYTES} bytes`);
    const version = this.currentVersion;
    const sealed = gcmSeal(this.#key(version), dataKey, wrapAad(userId, version));
    return { version, ciphertext: sealed };
  }

  unwrapDataKey(wrapped: WrappedKey, userId: string): Buffer {
    const key = this.#key(wrapped.version);
    if (wrapped.ciphertext.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) throw new DecryptionError();
    return gcmOpen(key, wrapped.ciphertext, wrapAad(userId, wrapped.version));
  }

  /** For rotation: opens with the key's own version and wraps again under the current one. */
  rewrap(wrapped: WrappedKey, userId: string): WrappedKey {
    const dataKey = this.unwrapDataKey(wrapped, userId);
    try {
      return this.wrapDataKey(dataKey, userId);
    } finally {
      dataKey.fill(0);
    }
  }

  #key(version: number): KeyObject {
    const key = this.#keys.get(version);
    if (!key) throw new UnknownKeyVersionError(version);
    return key;
  }
}

/**
 * Parses `v1:<base64 of 32 bytes>,v2:<…>`. Errors name the entry by position, never its text, so
 * a typo cannot put key material into a log.
 */
export function parseMasterKeys(spec: string): MasterKeyring {
  const entries = spec.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('REALNAME_MASTER_KEY holds no keys');
  const keys = new Map<number, Buffer>();
  try {
    entries.forEach((entry, index) => {
      const where = `REALNAME_MASTER_KEY entry ${index + 1}`;
      const match = /^v([1-9]\d{0,8}):([A-Za-z0-9+/]+={0,2})$/.exec(entry);
      if (!match) throw new Error(`${where} is not of the form v<version>:<base64 key>`);
      const version = Number(match[1]);
      const key = Buffer.from(match[2]!, 'base64');
      const exact = key.length === KEY_BYTES && key.toString('base64') === match[2];
      if (!exact) {
        key.fill(0);
        throw new Error(`${where} (v${version}) must be standard base64 of exactly ${KEY_BYTES} bytes`);
      }
      if (keys.has(version)) throw new Error(`${where}: version v${version} is listed twice`);
      keys.set(version, key);
    });
    return new MasterKeyring(keys);
  } finally {
    for (const key of keys.values()) key.fill(0);
  }
}

/** A fresh single-key spec, for the embedded mode that generates its key once into DATA_DIR. */
export function generateMasterKeySpec(version = 1): string {
  if (!Number.isSafeInteger(version) || version < 1) throw new Error('version must be a positive integer');
  return `v${version}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Sealed format: 0x01 ‖ iv(12) ‖ tag(16) ‖ ciphertext; the format byte is authenticated too. */
export function sealField(dataKey: Buffer, plaintext: string | Buffer, aad: FieldAad): Buffer {
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const sealed = gcmSeal(dataKeyObject(dataKey), data, fieldAad(FIELD_FORMAT_V1, aad));
  return Buffer.concat([Buffer.of(FIELD_FORMAT_V1), sealed]);
}

export function openField(dataKey: Buffer, sealed: Buffer, aad: FieldAad): Buffer {
  if (sealed.length < 1 || sealed[0] !== FIELD_FORMAT_V1) throw new DecryptionError();
  return gcmOpen(dataKeyObject(dataKey), sealed.subarray(1), fieldAad(FIELD_FORMAT_V1, aad));
}

export function openFieldText(dataKey: Buffer, sealed: Buffer, aad: FieldAad): string {
  return openField(dataKey, sealed, aad).toString('utf8');
}

function wrapAad(userId: string, version: number): Buffer {
  return Buffer.from(`user_keys:${userId}:v${version}`, 'utf8');
}

// JSON of an array of strings is unambiguous: ('a:b','c') and ('a','b:c') encode differently.
function fieldAad(format: number, { table, column, rowId }: FieldAad): Buffer {
  return Buffer.concat([Buffer.of(format), Buffer.from(JSON.stringify([table, column, rowId]), 'utf8')]);
}

function dataKeyObject(dataKey: Buffer): KeyObject {
  if (dataKey.length !== KEY_BYTES) throw new Error(`a data key must be ${KEY_BYTES} bytes`);
  return createSecretKey(dataKey);
}

function gcmSeal(key: KeyObject, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function gcmOpen(key: KeyObject, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError();
  try {
    const iv = sealed.subarray(0, IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(aad);
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}
