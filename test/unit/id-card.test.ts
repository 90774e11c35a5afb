import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';
import {
  PROVINCE_CODES,
  checkDigit,
  isValidIdCardNumber,
  parseIdCardNumber,
} from '../../src/domain/id-card.js';

// A fixed "today": 2025-06-15 16:30 UTC is already 2025-06-16 in Asia/Shanghai.
const today = new Date('2025-06-15T16:30:00Z');
const shanghaiToday = '2025-06-16';

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const knownProvince = fc.constantFrom(...PROVINCE_CODES);
const unknownProvince = fc
  .integer({ min: 0, max: 99 })
  .map((n) => String(n).padStart(2, '0'))
  .filter((code) => !PROVINCE_CODES.has(code));
const birthDate = (min: string, max: string) =>
  fc
    .date({ min: new Date(`${min}T00:00:00Z`), max: new Date(`${max}T00:00:00Z`), noInvalidDate: true })
    .map((date) => date.toISOString().slice(0, 10).replaceAll('-', ''));

/** Appends the check digit computed from the number's own 17 digits. */
const withCheck = (first17: string) => first17 + checkDigit(first17);
/** Province × rest of region × YYYYMMDD × sequence, with its computed check digit. */
const idNumber = (province: fc.Arbitrary<string>, born: fc.Arbitrary<string>) =>
  fc
    .tuple(province, digits(4), born, digits(3))
    .map(([code, region, date, sequence]) => withCheck(`${code}${region}${date}${sequence}`));
const validNumber = idNumber(knownProvince, birthDate('1900-01-01', shanghaiToday));
const fifteenDigitNumber = fc
  .tuple(knownProvince, digits(4), birthDate('1900-01-01', '1999-12-31'), digits(3))
  .map(([code, region, date, sequence]) => `${code}${region}${date.slice(2)}${sequence}`);

const parse = (raw: string) => parseIdCardNumber(raw, today);
const isValid = (raw: string) => isValidIdCardNumber(raw, today);

describe('parseIdCardNumber', () => {
  it('accepts every generated valid number and returns it unchanged with its parts', () => {
    fc.assert(
      fc.property(validNumber, (number) => {
        const parsed = parse(number);
        expect(parsed.value).toBe(number);
        expect(parsed.provinceCode).toBe(number.slice(0, 2));
        expect(parsed.birthDate.replaceAll('-', '')).toBe(number.slice(6, 14));
        expect(parsed.sex).toBe(Number(number[16]) % 2 === 1 ? 'M' : 'F');
        expect(parse(parsed.value)).toEqual(parsed);
      }),
    );
  });

  it('rejects any single-character change of a valid number', () => {
    const replacement = fc.constantFrom(...'0123456789X');
    fc.assert(
      fc.property(validNumber, fc.nat(17), replacement, (number, position, replacement) => {
        fc.pre(number[position] !== replacement);
        const changed = number.slice(0, position) + replacement + number.slice(position + 1);
        expect(isValid(changed)).toBe(false);
      }),
    );
  });

  it('upgrades every 15-digit number to a valid 18-digit one born in the 1900s', () => {
    fc.assert(
      fc.property(fifteenDigitNumber, (old) => {
        const parsed = parse(old);
        expect(parsed.value).toHaveLength(18);
        expect(parsed.value).toBe(withCheck(`${old.slice(0, 6)}19${old.slice(6)}`));
        expect(parsed.birthDate).toMatch(/^19\d\d-/);
        expect(isValid(parsed.value)).toBe(true);
      }),
    );
  });

  it('rejects birth dates after today in Asia/Shanghai', () => {
    fc.assert(
      fc.property(idNumber(knownProvince, birthDate('2025-06-17', '2099-12-31')), (number) => {
        expect(isValid(number)).toBe(false);
      }),
    );
  });

  it('rejects unknown province codes', () => {
    fc.assert(
      fc.property(idNumber(unknownProvince, birthDate('1900-01-01', shanghaiToday)), (number) => {
        expect(isValid(number)).toBe(false);
      }),
    );
  });

  it('throws INVALID_ID_CARD_NUMBER without the number in the message', () => {
    const number = '110105194912310021';
    expect(() => parse(number)).toThrow(DomainError);
    expect(() => parse(number)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ID_CARD_NUMBER }));
    expect(() => parse(number)).not.toThrow(/110105|0021/);
  });

  describe('named examples', () => {
    const valid: [label: string, raw: string, normalised?: string][] = [
      ['the GB 11643 sample', '11010519491231002X'],
      ['a lowercase x, normalised', '11010519491231002x', '11010519491231002X'],
      ['surrounding whitespace, trimmed', ' \t11010519491231002X\n', '11010519491231002X'],
      ['Feb 29 of a leap year', withCheck('11010120000229123')],
      ['Feb 29 of 1904', withCheck('44030419040229001')],
      ['born 1900-01-01', withCheck('31010119000101001')],
      ['born today in Shanghai (yesterday in UTC)', withCheck('11010120250616001')],
      ['Hong Kong (81)', withCheck('81000019900101001')],
      ['Taiwan residence permit (83)', withCheck('83000019900101001')],
      ['a 15-digit number, upgraded', '110105491231002', '11010519491231002X'],
    ];
    it.each(valid)('accepts %s', (_, raw, normalised = raw) => {
      expect(parse(raw).value).toBe(normalised);
    });

    const invalid: [string, string][] = [
      ['Feb 29 of a non-leap year', withCheck('11010120230229123')],
      ['Feb 29 of 1900 (not a leap year)', withCheck('11010119000229123')],
      ['Feb 30', withCheck('11010120000230123')],
      ['month 13', withCheck('11010120001301123')],
      ['day 00', withCheck('11010120000100123')],
      ['born 1899-12-31', withCheck('11010118991231123')],
      ['born tomorrow in Shanghai', withCheck('11010120250617001')],
      ['a wrong check digit', '110105194912310021'],
      ['17 characters', '11010519491231002'],
      ['19 characters', '11010519491231002X1'],
      ['16 characters', '1101051949123100'],
      ['an X before the end', '1101051949123100X2'],
      ['a letter', '11010519491231A02X'],
      ['an inner space', '110105 19491231002X'],
      ['full-width digits', '１１０１０５１９４９１２３１００２Ｘ'],
      ['the empty string', ''],
      ['a 15-digit number with a bad date', '110105490231002'],
      ['a 15-digit number with a letter', '11010549123100X'],
      ['province 00', withCheck('00010519491231002')],
    ];
    it.each(invalid)('rejects %s', (_, raw) => {
      expect(isValid(raw)).toBe(false);
    });
  });
});

describe('checkDigit', () => {
  it('computes the GB 11643 sample', () => {
    expect(checkDigit('11010519491231002')).toBe('X');
    expect(checkDigit('44052418800101001')).toBe('4');
  });
});

describe('PROVINCE_CODES', () => {
  it('holds the 34 provincial divisions plus 83 for Taiwan residence permits', () => {
    expect(PROVINCE_CODES.size).toBe(35);
    const edges = ['11', '15', '21', '23', '31', '37', '41', '46', '50', '54', '61', '65', '71', '81', '82', '83'];
    for (const code of edges) expect(PROVINCE_CODES.has(code)).toBe(true);
  });
});

describe('ID number edges', () => {
  const valid = '11010519491231002X';
  const withCheck = (first17: string) => first17 + checkDigit(first17);
  const codeOf = (raw: string) => {
    try {
      parseIdCardNumber(raw, new Date('2026-12-01T00:00:00Z'));
      return 'accepted';
    } catch (error) {
      return error instanceof DomainError ? error.code : `thrown ${(error as Error).name}`;
    }
  };

  it.each(['1234567890123456', '123456789012345678', 'a2345678901234567', '1234567890123456a'])('checkDigit refuses %s', (first17) => {
    expect(() => checkDigit(first17)).toThrow(new RangeError('checkDigit needs exactly 17 digits'));
  });

  it.each([
    ['a character before a valid number', `A${valid}`],
    ['a digit before a valid number', `1${valid}`],
    ['a character after a valid number', `${valid}1`],
  ])('refuses %s as INVALID_ID_CARD_NUMBER', (_what, raw) => {
    expect(codeOf(raw)).toBe('INVALID_ID_CARD_NUMBER');
  });

  it.each([
    ['30 February', '19900230'],
    ['31 April', '19900431'],
    ['29 February of a common year', '19900229'],
    ['month 13', '19901301'],
    ['month 00', '19900001'],
    ['day 00', '19900100'],
  ])('refuses a birth date on %s', (_what, birth) => {
    expect(codeOf(withCheck(`110105${birth}001`))).toBe('INVALID_ID_CARD_NUMBER');
  });

  it('accepts 29 February of a leap year', () => {
    expect(codeOf(withCheck('11010520000229001'))).toBe('accepted');
  });

  it('takes today in Shanghai: born on 1 December is valid at 00:30 there, while it is still 30 November in UTC', () => {
    const number = withCheck('11010520261201001');
    expect(parseIdCardNumber(number, new Date('2026-11-30T16:30:00Z')).birthDate).toBe('2026-12-01');
    expect(() => parseIdCardNumber(number, new Date('2026-11-30T15:30:00Z'))).toThrow(DomainError);
  });

  it('lets a programming error through isValidIdCardNumber instead of calling it invalid', () => {
    expect(() => isValidIdCardNumber(undefined as unknown as string)).toThrow(TypeError);
  });
});
