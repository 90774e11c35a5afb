import { describe, expect, it } from 'vitest';
import {
  SANDBOX_MAGIC_NUMBERS,
  faceSubCode,
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
