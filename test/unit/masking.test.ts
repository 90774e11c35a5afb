import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskIdCardNumber, maskName } from '../../src/domain/masking.js';

const codePoints = (s: string) => [...s].length;

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['张三丰', '张**'],
    ['李', '李*'],
    ['  王小明 ', '王**'],
    ['𠀀三', '𠀀*'],
    ['张𠀀', '张*'],
    ['买买提·艾力', '买*****'],
    ['Anna Smith', 'A*********'],
    ['', ''],
  ])('masks %j as %j', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('keeps the first code point, stars the rest, and never shows the whole name', () => {
    const longName = fc.string({ unit: 'grapheme', minLength: 2 }).filter((s) => codePoints(s.trim()) >= 2);
    fc.assert(
      fc.property(longName, (name) => {
        const trimmed = name.trim();
        const masked = maskName(name);
        expect(codePoints(masked)).toBe(codePoints(trimmed));
        expect([...masked][0]).toBe([...trimmed][0]);
        expect(masked.slice([...trimmed][0]!.length)).toMatch(/^\*+$/);
        if (!/^.\*+$/u.test(trimmed)) expect(masked).not.toContain(trimmed);
      }),
    );
  });
});

describe('maskIdCardNumber', () => {
  it.each([
    ['110101199003079438', '110101********9438'],
    ['11010519491231002X', '110105********002X'],
    ['110105491231002', '110*********002'],
    ['1234', '1**4'],
    ['123', '***'],
    ['', ''],
  ])('masks %j as %j', (number, masked) => {
    expect(maskIdCardNumber(number)).toBe(masked);
  });

  it('preserves the length, shows at most 10 characters and never the whole input', () => {
    const number = fc.string({ unit: fc.constantFrom(...'0123456789X'), minLength: 2, maxLength: 64 });
    fc.assert(
      fc.property(number, (n) => {
        const masked = maskIdCardNumber(n);
        expect(masked).toHaveLength(n.length);
        expect(masked).not.toContain(n);
        expect(masked.replaceAll('*', '').length).toBeLessThanOrEqual(10);
      }),
    );
  });
});
