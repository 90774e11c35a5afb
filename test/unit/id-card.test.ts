import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';
import { DOCUMENT_TYPES, type DocumentType } from '../../src/domain/documents.js';
import {
  PERMIT_PREFIXES,
  PROVINCE_CODES,
  checkDigit,
  isValidDocumentNumber,
  isValidIdCardNumber,
  parseDocumentNumber,
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

describe('parseDocumentNumber', () => {
  const permitPrefixes = new Set(Object.values(PERMIT_PREFIXES).flat());
  const mainlandProvince = fc.constantFrom(...[...PROVINCE_CODES].filter((code) => !permitPrefixes.has(code)));
  const born = birthDate('1900-01-01', shanghaiToday);
  const idCard = idNumber(mainlandProvince, born);
  const permitOf = (type: keyof typeof PERMIT_PREFIXES) => idNumber(fc.constantFrom(...PERMIT_PREFIXES[type]), born);
  const numberOf: Record<DocumentType, fc.Arbitrary<string>> = {
    RESIDENT_ID_CARD: idCard,
    HK_MACAO_RESIDENCE_PERMIT: permitOf('HK_MACAO_RESIDENCE_PERMIT'),
    TAIWAN_RESIDENCE_PERMIT: permitOf('TAIWAN_RESIDENCE_PERMIT'),
  };
  const isValidAs = (raw: string, type: DocumentType) => isValidDocumentNumber(raw, type, today);

  it.each(DOCUMENT_TYPES)('accepts every generated number of %s under its own type, as parseIdCardNumber reads it', (type) => {
    fc.assert(
      fc.property(numberOf[type], (number) => {
        expect(parseDocumentNumber(number, type, today)).toEqual(parse(number));
      }),
    );
  });

  it('refuses every generated number under each other document type', () => {
    const mismatch = fc
      .tuple(fc.constantFrom(...DOCUMENT_TYPES), fc.constantFrom(...DOCUMENT_TYPES))
      .filter(([of, under]) => of !== under)
      .chain(([of, under]) => fc.tuple(numberOf[of], fc.constant(under)));
    fc.assert(
      fc.property(mismatch, ([number, under]) => {
        expect(() => parseDocumentNumber(number, under, today)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ID_CARD_NUMBER }));
      }),
    );
  });

  it('keeps GB 11643 for permits: any single-character change of a permit number is refused', () => {
    const replacement = fc.constantFrom(...'0123456789X');
    const permit = fc.constantFrom('HK_MACAO_RESIDENCE_PERMIT', 'TAIWAN_RESIDENCE_PERMIT' as const).chain((type) => fc.tuple(numberOf[type], fc.constant(type)));
    fc.assert(
      fc.property(permit, fc.nat(17), replacement, ([number, type], position, replacement) => {
        fc.pre(number[position] !== replacement);
        expect(isValidAs(number.slice(0, position) + replacement + number.slice(position + 1), type)).toBe(false);
      }),
    );
  });

  it('refuses permit numbers born after today in Shanghai', () => {
    fc.assert(
      fc.property(idNumber(fc.constantFrom('81', '82', '83'), birthDate('2025-06-17', '2099-12-31')), (number) => {
        expect(isValidAs(number, 'HK_MACAO_RESIDENCE_PERMIT') || isValidAs(number, 'TAIWAN_RESIDENCE_PERMIT')).toBe(false);
      }),
    );
  });

  it('upgrades a 15-digit number for the ID card only: permits have no 15-digit form', () => {
    fc.assert(
      fc.property(fifteenDigitNumber.filter((old) => !permitPrefixes.has(old.slice(0, 2))), (old) => {
        expect(isValidAs(old, 'RESIDENT_ID_CARD')).toBe(true);
      }),
    );
    const oldPermitLike = fc
      .tuple(fc.constantFrom('81', '82', '83'), digits(4), birthDate('1900-01-01', '1999-12-31'), digits(3))
      .map(([code, region, date, sequence]) => `${code}${region}${date.slice(2)}${sequence}`);
    fc.assert(
      fc.property(oldPermitLike, (old) => {
        for (const type of DOCUMENT_TYPES) expect(isValidAs(old, type)).toBe(false);
      }),
    );
  });

  it.each([
    ['a Hong Kong permit (81)', withCheck('81000019900101001'), 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a Macao permit (82)', withCheck('82000019900101001'), 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a Taiwan permit (83)', withCheck('83000019900101001'), 'TAIWAN_RESIDENCE_PERMIT'],
    ['a permit with a lowercase x', withCheck('83000019900101002').replace('X', 'x'), 'TAIWAN_RESIDENCE_PERMIT'],
    ['an ID card', '11010519491231002X', 'RESIDENT_ID_CARD'],
    ['an ID card of Taiwan province code 71', withCheck('71000019900101001'), 'RESIDENT_ID_CARD'],
  ] as const)('accepts %s', (_, number, type) => {
    expect(isValidAs(number, type)).toBe(true);
  });

  it.each([
    ['a Hong Kong permit as an ID card', withCheck('81000019900101001'), 'RESIDENT_ID_CARD'],
    ['a Taiwan permit as a Hong Kong/Macao permit', withCheck('83000019900101001'), 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a Macao permit as a Taiwan permit', withCheck('82000019900101001'), 'TAIWAN_RESIDENCE_PERMIT'],
    ['an ID card as a permit', '11010519491231002X', 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a permit with a wrong check digit', `${'81000019900101001'}${checkDigit('81000019900101001') === '0' ? '1' : '0'}`, 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a 15-digit permit-like number', '810000900101001', 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a 香港永久性居民身份证 number', 'A1234563', 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a 港澳通行证 number', 'H12345678', 'HK_MACAO_RESIDENCE_PERMIT'],
    ['a 台胞证 number', '12345678', 'TAIWAN_RESIDENCE_PERMIT'],
  ] as const)('refuses %s', (_, number, type) => {
    expect(() => parseDocumentNumber(number, type, today)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ID_CARD_NUMBER }));
  });
});
