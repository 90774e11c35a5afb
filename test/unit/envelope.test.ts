import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  MasterKeyring,
  UnknownKeyVersionError,
  generateMasterKeySpec,
  newDataKey,
  openField,
  openFieldText,
  parseMasterKeys,
  sealField,
} from '../../src/crypto/envelope.js';
import type { FieldAad } from '../../src/crypto/envelope.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const name: FieldAad = { table: 'verifications', column: 'name_enc', rowId: 'row-1' };

const flipByte = (buffer: Buffer, index: number) => {
  const copy = Buffer.from(buffer);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
};

describe('sealField', () => {
  it('round-trips text and bytes', () => {
    const dataKey = newDataKey();
    expect(openFieldText(dataKey, sealField(dataKey, '张三丰', name), name)).toBe('张三丰');
    const bytes = randomBytes(100);
    expect(openField(dataKey, sealField(dataKey, bytes, name), name)).toEqual(bytes);
  });

  it('writes format byte 1, a 12-byte IV and a 16-byte tag before the ciphertext', () => {
    const sealed = sealField(newDataKey(), 'abc', name);
    expect(sealed[0]).toBe(1);
    expect(sealed).toHaveLength(1 + 12 + 16 + 3);
  });

  it('uses a fresh IV each time', () => {
    const dataKey = newDataKey();
    expect(sealField(dataKey, 'same', name)).not.toEqual(sealField(dataKey, 'same', name));
  });

  it.each<[string, FieldAad]>([
    ['another row', { ...name, rowId: 'row-2' }],
    ['another column', { ...name, column: 'id_number_enc' }],
    ['another table', { ...name, table: 'identities' }],
  ])('cannot be opened for %s', (_, elsewhere) => {
    const dataKey = newDataKey();
    const sealed = sealField(dataKey, '张三丰', name);
    expect(() => openField(dataKey, sealed, elsewhere)).toThrow(DecryptionError);
  });

  it('encodes the AAD unambiguously', () => {
    const dataKey = newDataKey();
    const sealed = sealField(dataKey, 'x', { table: 'a:b', column: 'c', rowId: 'r' });
    const shifted = { table: 'a', column: 'b:c', rowId: 'r' };
    expect(() => openField(dataKey, sealed, shifted)).toThrow(DecryptionError);
  });

  it('cannot be opened with another data key', () => {
    const sealed = sealField(newDataKey(), '张三丰', name);
    expect(() => openField(newDataKey(), sealed, name)).toThrow(DecryptionError);
  });

  it('detects a change to any byte', () => {
    const dataKey = newDataKey();
    const sealed = sealField(dataKey, '110105194912310021', name);
    for (let i = 0; i < sealed.length; i++) {
      expect(() => openField(dataKey, flipByte(sealed, i), name)).toThrow(DecryptionError);
    }
  });

  it('rejects truncated input without details', () => {
    const dataKey = newDataKey();
    const sealed = sealField(dataKey, 'abc', name);
    for (const length of [0, 1, 28, sealed.length - 1]) {
      expect(() => openField(dataKey, sealed.subarray(0, length), name)).toThrow(/^decryption failed$/);
    }
  });
});

describe(MasterKeyring.name, () => {
  it('round-trips a data key for its user', () => {
    const ring = parseMasterKeys(generateMasterKeySpec());
    const dataKey = newDataKey();
    const wrapped = ring.wrapDataKey(dataKey, 'user-1');
    expect(wrapped.version).toBe(1);
    expect(wrapped.ciphertext).toHaveLength(12 + 16 + 32);
    expect(ring.unwrapDataKey(wrapped, 'user-1')).toEqual(dataKey);
  });

  it('binds a wrapped key to its user', () => {
    const ring = parseMasterKeys(generateMasterKeySpec());
    const wrapped = ring.wrapDataKey(newDataKey(), 'user-1');
    expect(() => ring.unwrapDataKey(wrapped, 'user-2')).toThrow(DecryptionError);
  });

  it('binds a wrapped key to its version', () => {
    const ring = new MasterKeyring(new Map([[1, Buffer.alloc(32, 7)], [2, Buffer.alloc(32, 7)]]));
    const wrapped = ring.wrapDataKey(newDataKey(), 'user-1');
    expect(() => ring.unwrapDataKey({ ...wrapped, version: 1 }, 'user-1')).toThrow(DecryptionError);
  });

  it('detects a tampered wrapped key', () => {
    const ring = parseMasterKeys(generateMasterKeySpec());
    const wrapped = ring.wrapDataKey(newDataKey(), 'user-1');
    const tampered = { ...wrapped, ciphertext: flipByte(wrapped.ciphertext, 40) };
    expect(() => ring.unwrapDataKey(tampered, 'user-1')).toThrow(DecryptionError);
  });

  it('wraps with the highest version and lists all of them', () => {
    const ring = parseMasterKeys(`v3:${key(3)}, v1:${key(1)},v2:${key(2)}`);
    expect(ring.currentVersion).toBe(3);
    expect(ring.versions()).toEqual([1, 2, 3]);
    expect(ring.wrapDataKey(newDataKey(), 'u').version).toBe(3);
  });

  it('throws UnknownKeyVersionError naming only the version', () => {
    const ring = parseMasterKeys(`v1:${key(1)}`);
    const unwrap = () => ring.unwrapDataKey({ version: 9, ciphertext: Buffer.alloc(60) }, 'u');
    expect(unwrap).toThrow(UnknownKeyVersionError);
    expect(unwrap).toThrow(/\b9\b/);
  });

  describe('rotation', () => {
    it('keeps data readable through rewrap, and old wraps fail once their version is removed', () => {
      const v1 = `v1:${key(1)}`;
      const v2 = `v2:${key(2)}`;
      const dataKey = newDataKey();
      const sealed = sealField(dataKey, '张三丰', name);
      const oldWrap = parseMasterKeys(v1).wrapDataKey(dataKey, 'user-1');

      const both = parseMasterKeys(`${v1},${v2}`);
      expect(openFieldText(both.unwrapDataKey(oldWrap, 'user-1'), sealed, name)).toBe('张三丰');
      const newWrap = both.rewrap(oldWrap, 'user-1');
      expect(newWrap.version).toBe(2);
      expect(openFieldText(both.unwrapDataKey(newWrap, 'user-1'), sealed, name)).toBe('张三丰');

      const onlyNew = parseMasterKeys(v2);
      expect(openFieldText(onlyNew.unwrapDataKey(newWrap, 'user-1'), sealed, name)).toBe('张三丰');
      expect(() => onlyNew.unwrapDataKey(oldWrap, 'user-1')).toThrow(UnknownKeyVersionError);
    });

    it('refuses to rewrap for another user', () => {
      const ring = parseMasterKeys(`v1:${key(1)},v2:${key(2)}`);
      const wrapped = parseMasterKeys(`v1:${key(1)}`).wrapDataKey(newDataKey(), 'user-1');
      expect(() => ring.rewrap(wrapped, 'user-2')).toThrow(DecryptionError);
    });
  });
});

describe('parseMasterKeys', () => {
  const secret = Buffer.alloc(31, 0xab).toString('base64');
  const secret33 = Buffer.alloc(33, 0xcd).toString('base64');
  const good = key(9);

  it.each([
    ['an empty spec', '', /no keys/],
    ['an entry without a version', good, /entry 1 is not of the form/],
    ['version 0', `v0:${good}`, /entry 1 is not of the form/],
    ['a non-numeric version', `vx:${good}`, /entry 1 is not of the form/],
    ['a 31-byte key', `v1:${good},v2:${secret}`, /entry 2 \(v2\) must be .* 32 bytes/],
    ['a 33-byte key', `v1:${secret33}`, /entry 1 \(v1\) must be .* 32 bytes/],
    ['not base64', `v1:${good.slice(0, 20)}!${good.slice(21)}`, /entry 1 is not of the form/],
    ['truncated base64', `v1:${good.slice(0, -2)}=`, /entry 1 \(v1\) must be/],
    ['non-canonical base64 (stray padding bits)', `v1:${good.slice(0, -2)}l=`, /entry 1 \(v1\) must be/],
    ['a duplicate version', `v1:${good},v1:${key(8)}`, /v1 is listed twice/],
  ])('rejects %s', (_, spec, problem) => {
    expect(() => parseMasterKeys(spec)).toThrow(problem);
  });

  it('never puts key material into its errors', () => {
    const specs = [
      `v1:${secret}`,
      `v1:${secret33}`,
      `v1:${good},v1:${good}`,
      `x1:${good}`,
      `v1:${good}!`,
      `v1:${good} ${good}`,
      `v1${good}`,
    ];
    for (const spec of specs) {
      const error = (() => {
        try {
          parseMasterKeys(spec);
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected a parse error');
      })();
      for (const material of [secret, secret33, good]) {
        expect(error.message).not.toContain(material.slice(0, 8));
        expect(String(error.stack)).not.toContain(material.slice(0, 8));
      }
    }
  });

  it('does not show key material when the keyring is inspected or serialised', async () => {
    const { inspect } = await import('node:util');
    const ring = parseMasterKeys(`v1:${key(0x41)}`);
    const shown = inspect(ring, { depth: 10, showHidden: true }) + JSON.stringify(ring);
    for (const material of ['QUFB', 'AAAA', '41 41', '4141']) expect(shown).not.toContain(material);
  });
});

describe('generateMasterKeySpec', () => {
  it('produces a spec that parses with the requested version', () => {
    expect(parseMasterKeys(generateMasterKeySpec(4)).versions()).toEqual([4]);
    expect(generateMasterKeySpec()).not.toBe(generateMasterKeySpec());
  });
});

describe('keyring and field edges', () => {
  const key32 = () => randomBytes(32);
  const aad = { table: 'verifications', column: 'name_cipher', rowId: 'row-1' };

  it.each([
    ['no key at all', new Map<number, Buffer>(), /at least one key/],
    ['version 0', new Map([[0, randomBytes(32)]]), /not a positive integer/],
    ['a negative version', new Map([[-1, randomBytes(32)]]), /not a positive integer/],
    ['a fractional version', new Map([[1.5, randomBytes(32)]]), /not a positive integer/],
    ['a 31-byte key', new Map([[1, randomBytes(31)]]), /must be 32 bytes/],
    ['a 33-byte key', new Map([[1, randomBytes(33)]]), /must be 32 bytes/],
  ])('refuses a keyring with %s', (_what, keys, message) => {
    expect(() => new MasterKeyring(keys)).toThrow(message);
  });

  it('refuses to wrap a data key that is not 32 bytes, and to seal or open with one', () => {
    const ring = new MasterKeyring(new Map([[1, key32()]]));
    expect(() => ring.wrapDataKey(randomBytes(16), 'u')).toThrow(/data key must be 32 bytes/);
    expect(() => sealField(randomBytes(31), 'x', aad)).toThrow(/data key must be 32 bytes/);
    expect(() => openField(randomBytes(33), sealField(key32(), 'x', aad), aad)).toThrow(/data key must be 32 bytes/);
  });

  it('refuses a wrapped key of the wrong length, with a DecryptionError', () => {
    const ring = new MasterKeyring(new Map([[1, key32()]]));
    const wrapped = ring.wrapDataKey(newDataKey(), 'u');
    const longer = { version: 1, ciphertext: Buffer.concat([wrapped.ciphertext, Buffer.of(0)]) };
    const error = (() => {
      try {
        ring.unwrapDataKey(longer, 'u');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toMatchObject({ name: 'DecryptionError', message: 'decryption failed' });
  });

  it('names an unknown key version', () => {
    const ring = new MasterKeyring(new Map([[1, key32()]]));
    expect(() => ring.unwrapDataKey({ version: 7, ciphertext: Buffer.alloc(60) }, 'u')).toThrow(expect.objectContaining({ name: 'UnknownKeyVersionError', version: 7 }));
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['only the format byte', Buffer.of(1)],
    ['shorter than iv and tag', Buffer.concat([Buffer.of(1), randomBytes(27)])],
    ['another format byte', Buffer.concat([Buffer.of(2), randomBytes(40)])],
  ])('refuses a sealed field that is %s with a DecryptionError', (_what, sealed) => {
    expect(() => openField(key32(), sealed, aad)).toThrow(DecryptionError);
  });

  it('opens an empty value sealed on its own (iv and tag only)', () => {
    const dataKey = key32();
    expect(openFieldText(dataKey, sealField(dataKey, '', aad), aad)).toBe('');
  });

  it('refuses a tag cut short, though the rest is intact', () => {
    const dataKey = key32();
    const sealed = sealField(dataKey, 'abc', aad);
    // Drop the tag's last 4 bytes: a shorter tag must not be accepted as a 12-byte one.
    const cut = Buffer.concat([sealed.subarray(0, 1 + 12 + 12), sealed.subarray(1 + 12 + 16)]);
    expect(() => openField(dataKey, cut, aad)).toThrow(DecryptionError);
  });

  it.each([
    ['text before the version', `xv1:${randomBytes(32).toString('base64')}`],
    ['text after the key', `v1:${randomBytes(32).toString('base64')}x`],
    ['a version that is not a number', `vX:${randomBytes(32).toString('base64')}`],
    ['a version with a letter in it', `v1a:${randomBytes(32).toString('base64')}`],
  ])('refuses a master key spec with %s', (_what, spec) => {
    expect(() => parseMasterKeys(spec)).toThrow(/not of the form v<version>:<base64 key>/);
  });

  it.each([0, -1, 1.5])('refuses to generate a spec for version %s', (version) => {
    expect(() => generateMasterKeySpec(version)).toThrow('version must be a positive integer');
  });

  it('generates a spec it can parse, at the version asked for', () => {
    expect(parseMasterKeys(generateMasterKeySpec(3)).currentVersion).toBe(3);
  });
});
