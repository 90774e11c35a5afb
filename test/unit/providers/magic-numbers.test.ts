import { describe, expect, it } from 'vitest';
import { isValidDocumentNumber } from '../../../src/domain/id-card.js';
import {
  SANDBOX_MAGIC_NUMBERS,
  SANDBOX_PERMIT_NUMBERS,
  documentNameOf,
  faceSubCode,
  identityBizCode,
  hasValidCheckDigit,
  isUnder14,
} from '../../../src/providers/sandbox/magic-numbers.js';

// Written independently of the module under test, straight from GB 11643.
function gb11643CheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return '10X98765432'[sum % 11];
}

describe('SANDBOX_MAGIC_NUMBERS', () => {
  it.each(Object.entries(SANDBOX_MAGIC_NUMBERS))('%s is checksum-valid', (_, number) => {
    expect(number.slice(17)).toBe(gb11643CheckDigit(number.slice(0, 17)));
    expect(hasValidCheckDigit(number)).toBe(true);
  });

  it('are all different', () => {
    const numbers = Object.values(SANDBOX_MAGIC_NUMBERS);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('are under 14 only for UNDER_14', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const young = Object.entries(SANDBOX_MAGIC_NUMBERS).filter(([, n]) => isUnder14(n, now));
    expect(young.map(([name]) => name)).toEqual(['UNDER_14']);
  });
});

describe('the residence permit numbers', () => {
  const permits = [...Object.entries(SANDBOX_PERMIT_NUMBERS), ...Object.entries(SANDBOX_MAGIC_NUMBERS).filter(([name]) => name.includes('PERMIT'))];

  it.each(permits)('%s is a valid permit number of its own document, and no ID card', (_, number) => {
    const type = number.startsWith('83') ? 'TAIWAN_RESIDENCE_PERMIT' : 'HK_MACAO_RESIDENCE_PERMIT';
    expect(isValidDocumentNumber(number, type)).toBe(true);
    expect(isValidDocumentNumber(number, 'RESIDENT_ID_CARD')).toBe(false);
  });

  it('pass everything unless magic', () => {
    for (const number of Object.values(SANDBOX_PERMIT_NUMBERS)) {
      expect(identityBizCode(number)).toBe('1');
      expect(faceSubCode(number, 'pass')).toBe('200');
    }
  });

  it('fail in their documented ways', () => {
    expect(identityBizCode(SANDBOX_MAGIC_NUMBERS.HK_PERMIT_NO_RECORD)).toBe('3');
    expect(identityBizCode(SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_NAME_MISMATCH)).toBe('2');
    expect(faceSubCode(SANDBOX_MAGIC_NUMBERS.MACAO_PERMIT_FACE_MISMATCH, 'pass')).toBe('204');
    expect(faceSubCode(SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_LIVENESS_RISK, 'pass')).toBe('205');
  });

  it('are named on the certify page by their prefix', () => {
    expect(documentNameOf(SANDBOX_PERMIT_NUMBERS.HONG_KONG)).toBe('港澳居民居住证');
    expect(documentNameOf(SANDBOX_PERMIT_NUMBERS.MACAO)).toBe('港澳居民居住证');
    expect(documentNameOf(SANDBOX_PERMIT_NUMBERS.TAIWAN)).toBe('台湾居民居住证');
    expect(documentNameOf('110101199003071233')).toBe('居民身份证');
  });
});

describe('hasValidCheckDigit', () => {
  it('agrees with GB 11643 on an ordinary number', () => {
    const first17 = '44030419870722151';
    expect(hasValidCheckDigit(first17 + gb11643CheckDigit(first17))).toBe(true);
  });

  it('refuses a wrong check digit, a lower-case x and a short number', () => {
    const first17 = '11010119900101004'; // check digit X
    expect(hasValidCheckDigit(`${first17}1`)).toBe(false);
    expect(hasValidCheckDigit(`${first17}x`)).toBe(false);
    expect(hasValidCheckDigit(first17)).toBe(false);
  });
});

describe('isUnder14', () => {
  it('turns false on the fourteenth birthday', () => {
    const number = '110101201201010000';
    expect(isUnder14(number, new Date('2025-12-31T23:59:59Z'))).toBe(true);
    expect(isUnder14(number, new Date('2026-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('faceSubCode', () => {
  it('passes ordinary numbers and fails the face magic numbers even after "pass"', () => {
    expect(faceSubCode('110101199003071233', 'pass')).toBe('200');
    expect(faceSubCode(SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH, 'pass')).toBe('204');
    expect(faceSubCode(SANDBOX_MAGIC_NUMBERS.LIVENESS_RISK, 'pass')).toBe('205');
  });

  it('gives liveness risk for "fail"', () => {
    expect(faceSubCode('110101199003071233', 'fail')).toBe('205');
  });
});
