import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlindIndex } from '../../src/crypto/blind-index.js';
import fc from 'fast-check';
import { REVIEW_DOCUMENT_TYPES } from '../../src/domain/documents.js';
import { parseReviewDocumentNumber } from '../../src/domain/document-review.js';
import { DomainError } from '../../src/domain/errors.js';

const indexKey = randomBytes(32);

describe(BlindIndex.name, () => {
  it('gives the 15-digit, 18-digit and lowercase-x forms of a number the same index', () => {
    const index = new BlindIndex(indexKey);
    const forms = ['110105491231002', '11010519491231002X', '11010519491231002x', ' 11010519491231002X '];
    expect(new Set(forms.map((form) => index.of(form))).size).toBe(1);
  });

  it('gives different numbers different indexes', () => {
    const index = new BlindIndex(indexKey);
    expect(index.of('11010519491231002X')).not.toBe(index.of('110101199003079438'));
  });

  it('depends on the key', () => {
    expect(new BlindIndex(randomBytes(32)).of('11010519491231002X')).not.toBe(
      new BlindIndex(randomBytes(32)).of('11010519491231002X'),
    );
  });

  it('is 64 hex characters', () => {
    expect(new BlindIndex(indexKey).of('11010519491231002X')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads a string key as base64 when it is base64, else as raw text', () => {
    const number = '11010519491231002X';
    expect(new BlindIndex(indexKey.toString('base64')).of(number)).toBe(new BlindIndex(indexKey).of(number));
    const raw = 'a raw secret of at least 32 chars!';
    expect(new BlindIndex(raw).of(number)).toBe(new BlindIndex(Buffer.from(raw)).of(number));
  });

  it('refuses short keys', () => {
    expect(() => new BlindIndex(randomBytes(31))).toThrow(/at least 32/);
    expect(() => new BlindIndex('too short')).toThrow(/at least 32/);
  });

  it('refuses invalid numbers', () => {
    expect(() => new BlindIndex(indexKey).of('110105194912310021')).toThrow(DomainError);
  });
});

describe('the blind index key', () => {
  const number = '11010519491231002X';

  it('takes a string that is standard base64 of 32 bytes as those bytes', () => {
    const bytes = randomBytes(32);
    expect(new BlindIndex(bytes.toString('base64')).of(number)).toBe(new BlindIndex(bytes).of(number));
  });

  it.each([
    ['base64 of fewer than 32 bytes, but 32 characters or more as text', randomBytes(24).toString('base64')],
    ['not canonical base64 (a changed last character)', (() => {
      const text = randomBytes(32).toString('base64');
      return `${text.slice(0, 42)}${text[42] === 'B' ? 'C' : 'B'}=`;
    })()],
    ['base64 with text around it', ` ${randomBytes(32).toString('base64')}`],
    ['base64 with text after it', `${randomBytes(32).toString('base64')}!`],
  ])('takes any other string as its UTF-8 bytes: %s', (_what, key) => {
    expect(new BlindIndex(key).of(number)).toBe(new BlindIndex(Buffer.from(key, 'utf8')).of(number));
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new BlindIndex('short')).toThrow(/at least 32 bytes/);
    expect(() => new BlindIndex(randomBytes(31))).toThrow(/at least 32 bytes/);
  });

  describe('ofReviewDocument', () => {
    it('scopes a number by its document: one value under two documents gives two indexes', () => {
      const index = new BlindIndex(indexKey);
      fc.assert(
        fc.property(fc.constantFrom(...REVIEW_DOCUMENT_TYPES), fc.constantFrom(...REVIEW_DOCUMENT_TYPES), fc.string({ minLength: 1 }), (a, b, value) => {
          fc.pre(a !== b);
          expect(index.ofReviewDocument({ documentType: a, value })).not.toBe(index.ofReviewDocument({ documentType: b, value }));
        }),
      );
    });

    it('never equals the index of a GB 11643 number', () => {
      const index = new BlindIndex(indexKey);
      const idCard = index.of('11010519491231002X');
      for (const documentType of REVIEW_DOCUMENT_TYPES) expect(index.ofReviewDocument({ documentType, value: '11010519491231002X' })).not.toBe(idCard);
    });

    it("gives every card of one holder (the renewal count differs) the holder's one index", () => {
      const index = new BlindIndex(indexKey);
      const [first, renewed] = ['H1234567800', 'h1234567801'].map((n) => index.ofReviewDocument(parseReviewDocumentNumber(n, 'HK_MACAO_TRAVEL_PERMIT')));
      expect(first).toBe(renewed);
    });
  });
});
