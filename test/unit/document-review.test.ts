import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { REVIEW_DOCUMENT_TYPES, type ReviewDocumentType } from '../../src/domain/documents.js';
import {
  REVIEW_NUMBER_HINTS,
  isValidReviewDocumentNumber,
  parseDocumentReview,
  parseReviewDocumentNumber,
  reviewApplicantName,
} from '../../src/domain/document-review.js';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';
import { checkDigit, isValidDocumentNumber } from '../../src/domain/id-card.js';

const today = new Date('2025-06-15T16:30:00Z');

const digits = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const letters = (length: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: length, maxLength: length });
const birthDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-06-15T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10).replaceAll('-', ''));

const hkMacao = fc.tuple(fc.constantFrom('H', 'M'), digits(8)).map(([letter, number]) => letter + number);
const taiwan = digits(8);
const foreign2017 = fc.tuple(letters(3), digits(12)).map(([country, number]) => country + number);
const foreign2023 = fc.tuple(digits(5), birthDate, digits(3)).map(([code, born, sequence]) => {
  const first17 = `9${code}${born}${sequence}`;
  return first17 + checkDigit(first17);
});

const valid: Record<ReviewDocumentType, fc.Arbitrary<string>> = {
  HK_MACAO_TRAVEL_PERMIT: hkMacao,
  TAIWAN_TRAVEL_PERMIT: taiwan,
  FOREIGN_PERMANENT_RESIDENCE_CARD: fc.oneof(foreign2017, foreign2023),
};

function refusal(run: () => unknown) {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('parseReviewDocumentNumber', () => {
  describe('港澳居民来往内地通行证', () => {
    it('takes H or M and 8 digits as the lifelong number', () => {
      fc.assert(
        fc.property(hkMacao, (number) => {
          expect(parseReviewDocumentNumber(number, 'HK_MACAO_TRAVEL_PERMIT', today).value).toBe(number);
        }),
      );
    });

    it('drops the 2 digits counting renewals, so every card of one holder reads as one number', () => {
      fc.assert(
        fc.property(hkMacao, digits(2), (number, renewals) => {
          expect(parseReviewDocumentNumber(number + renewals, 'HK_MACAO_TRAVEL_PERMIT', today).value).toBe(number);
        }),
      );
    });

    it('refuses another letter, 9 or 7 digits, and a number without its letter', () => {
      for (const number of ['A12345678', 'H1234567', 'H123456789', '123456789', 'H12345678901', 'HM1234567']) {
        expect(isValidReviewDocumentNumber(number, 'HK_MACAO_TRAVEL_PERMIT', today), number).toBe(false);
      }
    });
  });

  describe('台湾居民来往大陆通行证', () => {
    it('takes the 8-digit lifelong number', () => {
      fc.assert(
        fc.property(taiwan, (number) => {
          expect(parseReviewDocumentNumber(number, 'TAIWAN_TRAVEL_PERMIT', today).value).toBe(number);
        }),
      );
    });

    it("reduces an old booklet's number (issue count, with or without the office code) to its first 8 digits", () => {
      fc.assert(
        fc.property(taiwan, digits(2), fc.option(fc.constantFrom('A', 'B', '1', 'x'), { nil: undefined }), (number, issued, office) => {
          const old = `${number}${issued}${office === undefined ? '' : `(${office})`}`;
          expect(parseReviewDocumentNumber(old, 'TAIWAN_TRAVEL_PERMIT', today).value).toBe(number);
        }),
      );
    });

    it('refuses 7, 9 or 11 digits, letters, and an office code without the issue count', () => {
      for (const number of ['1234567', '123456789', '12345678901', 'T1234567', '12345678(A)', '1234567801(AB)']) {
        expect(isValidReviewDocumentNumber(number, 'TAIWAN_TRAVEL_PERMIT', today), number).toBe(false);
      }
    });
  });

  describe('外国人永久居留身份证', () => {
    it('takes the 2017 form, 3 letters and 12 digits, as given', () => {
      fc.assert(
        fc.property(foreign2017, (number) => {
          expect(parseReviewDocumentNumber(number, 'FOREIGN_PERMANENT_RESIDENCE_CARD', today).value).toBe(number);
        }),
      );
    });

    it('takes the 2023 form: 18 characters from 9 with the GB 11643 check character', () => {
      fc.assert(
        fc.property(foreign2023, (number) => {
          expect(parseReviewDocumentNumber(number, 'FOREIGN_PERMANENT_RESIDENCE_CARD', today).value).toBe(number);
        }),
      );
    });

    it('refuses a 2023-form number whose check character is wrong', () => {
      fc.assert(
        fc.property(foreign2023, fc.constantFrom(...'0123456789X'), (number, other) => {
          fc.pre(other !== number[17]);
          expect(isValidReviewDocumentNumber(number.slice(0, 17) + other, 'FOREIGN_PERMANENT_RESIDENCE_CARD', today)).toBe(false);
        }),
      );
    });

    it('refuses a 2023-form number whose birth date is no real day, or after today in Beijing', () => {
      const withCheck = (first17: string) => first17 + checkDigit(first17);
      expect(isValidReviewDocumentNumber(withCheck('93084019990230001'), 'FOREIGN_PERMANENT_RESIDENCE_CARD', today)).toBe(false);
      expect(isValidReviewDocumentNumber(withCheck('93084020250617001'), 'FOREIGN_PERMANENT_RESIDENCE_CARD', today)).toBe(false);
      expect(isValidReviewDocumentNumber(withCheck('93084020250616001'), 'FOREIGN_PERMANENT_RESIDENCE_CARD', today)).toBe(true);
    });

    it('refuses a GB 11643 number that does not start with 9 (a resident ID card is verified online)', () => {
      expect(isValidReviewDocumentNumber('11010519491231002X', 'FOREIGN_PERMANENT_RESIDENCE_CARD', today)).toBe(false);
    });

    it('refuses 2 or 4 letters, and letters with 11 or 13 digits', () => {
      for (const number of ['US123456789012', 'USAA123456789012', 'USA12345678901', 'USA1234567890123']) {
        expect(isValidReviewDocumentNumber(number, 'FOREIGN_PERMANENT_RESIDENCE_CARD', today), number).toBe(false);
      }
    });
  });

  it('reads lower case, full-width characters and surrounding spaces as the number itself', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REVIEW_DOCUMENT_TYPES).chain((type) => valid[type].map((number) => [type, number] as const)), ([type, number]) => {
        const fullWidth = [...number.toLowerCase()].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
        expect(parseReviewDocumentNumber(`  ${fullWidth}\t`, type, today)).toEqual(parseReviewDocumentNumber(number, type, today));
      }),
    );
  });

  it("never takes a number of one review document as another's: each form belongs to one document", () => {
    fc.assert(
      fc.property(fc.constantFrom(...REVIEW_DOCUMENT_TYPES), fc.constantFrom(...REVIEW_DOCUMENT_TYPES), (from, as) => {
        fc.pre(from !== as);
        fc.assert(fc.property(valid[from], (number) => {
          expect(isValidReviewDocumentNumber(number, as, today)).toBe(false);
        }), { numRuns: 20 });
      }),
    );
  });

  it('never takes a number the online path verifies: those holders start a verification', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REVIEW_DOCUMENT_TYPES).chain((type) => valid[type]), (number) => {
        expect(isValidDocumentNumber(number, 'RESIDENT_ID_CARD', today)).toBe(false);
      }),
    );
  });

  it("refuses with INVALID_ID_CARD_NUMBER and the document's hint, never the number", () => {
    fc.assert(
      fc.property(fc.constantFrom(...REVIEW_DOCUMENT_TYPES), fc.string({ minLength: 1, maxLength: 20 }), (type, junk) => {
        fc.pre(!isValidReviewDocumentNumber(junk, type, today));
        const error = refusal(() => parseReviewDocumentNumber(junk, type, today));
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ code: ErrorCode.INVALID_ID_CARD_NUMBER, message: REVIEW_NUMBER_HINTS[type] });
      }),
    );
  });
});

describe('reviewApplicantName', () => {
  it('takes a Chinese name and a Latin one as on a foreign card, spaces collapsed', () => {
    expect(reviewApplicantName(' 陈 大文 ')).toBe('陈 大文');
    expect(reviewApplicantName("WU,  QUANBIN")).toBe('WU, QUANBIN');
    expect(reviewApplicantName("O'Neil-Smith")).toBe("O'Neil-Smith");
  });

  it('refuses digits, an empty name and punctuation alone', () => {
    for (const name of ['张三1', '', '   ', '·-', 'a'.repeat(81)]) {
      expect(() => reviewApplicantName(name), name).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT }));
    }
  });
});

describe('parseDocumentReview', () => {
  const input = { documentType: 'HK_MACAO_TRAVEL_PERMIT', realName: '陈大文', documentNumber: 'h1234567801', note: ' 证件在手 ', consentVersion: CONSENT_TERMS.version, reviewConsent: true };

  it('gives the normalised lifelong number, the name and the trimmed note', () => {
    expect(parseDocumentReview(input, today)).toEqual({ documentType: 'HK_MACAO_TRAVEL_PERMIT', realName: '陈大文', documentNumber: 'H12345678', note: '证件在手' });
  });

  it('takes only a review-only document: a document verified online is BAD_USER_INPUT', () => {
    expect(() => parseDocumentReview({ ...input, documentType: 'RESIDENT_ID_CARD' }, today)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT }));
  });

  it('is CONSENT_REQUIRED without the review consent or with old terms', () => {
    expect(() => parseDocumentReview({ ...input, reviewConsent: false }, today)).toThrow(expect.objectContaining({ code: ErrorCode.CONSENT_REQUIRED }));
    expect(() => parseDocumentReview({ ...input, consentVersion: '2020-01-01' }, today)).toThrow(expect.objectContaining({ code: ErrorCode.CONSENT_REQUIRED }));
  });

  it('names a bad number before a missing consent, as a start does', () => {
    expect(() => parseDocumentReview({ ...input, documentNumber: 'X1', reviewConsent: false }, today)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ID_CARD_NUMBER }));
  });
});
