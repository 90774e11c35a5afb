import { CONSENT_TERMS } from './consent-terms.js';
import { isReviewDocumentType, type ReviewDocumentType } from './documents.js';
import { DomainError, ErrorCode, parses } from './errors.js';
import { checkDigit, plausibleBirthDate } from './id-card.js';
import { reviewNote } from './review.js';

/**
 * A number of a document only a manual review takes, normalised (NFKC, so full-width characters
 * from a Chinese keyboard read as ASCII; trimmed; upper case). `value` is the number that names the
 * holder for life, which is what is sealed, shown masked and blind-indexed:
 * - 港澳居民来往内地通行证 (公安部《港澳居民来往内地通行证号码规则》): H (Hong Kong) or M (Macao) and
 *   8 digits, the holder's lifelong number; the card form adds 2 digits counting renewals (00, 01, …).
 *   "新旧通行证号码前9位相同,表明为签发给同一持证人": the 2 digits are accepted and dropped.
 * - 台湾居民来往大陆通行证: since 2008-09-25 "一人一号、终身不变", the 8-digit lifelong number. The
 *   booklets issued before had that number, a 2-digit issue count and, in parentheses, an issuing
 *   office's letter or digit (dropped from 2006 in Fujian, Jiangsu and Shanghai). Those booklets were
 *   valid 5 years at most, so none is valid today; a holder copying an old number still names the
 *   same person by its first 8 digits, so the 10-digit form (with or without the office code) is
 *   accepted and reduced to them.
 * - 外国人永久居留身份证: the 2017 form is 3 Latin letters (the country or region) and 12 digits; the
 *   2023 form (from 2023-12-01) follows GB 11643: 18 characters, first 9, birth date at characters
 *   7–14, check character by ISO 7064 MOD 11-2 as on the ID card. The letters are not checked
 *   against ISO 3166: ICAO codes such as XXA (stateless) appear on travel documents too, and an
 *   operator looks at the document anyway. The two forms of one holder are different numbers (the
 *   letters became digit codes no public table maps), so they are kept as given.
 */
export interface ReviewDocumentNumber {
  documentType: ReviewDocumentType;
  value: string;
}

const HK_MACAO = /^([HM]\d{8})(?:\d{2})?$/;
const TAIWAN = /^(\d{8})(?:\d{2}(?:\([A-Z\d]\))?)?$/;
const FOREIGN_2017 = /^[A-Z]{3}\d{12}$/;
const FOREIGN_2023 = /^9\d{16}[\dX]$/;

/** What a user reads when the number does not fit: the form expected, never the number typed. */
export const REVIEW_NUMBER_HINTS: Readonly<Record<ReviewDocumentType, string>> = {
  HK_MACAO_TRAVEL_PERMIT: '通行证号码有误:港澳居民来往内地通行证号码为H(香港)或M(澳门)加8位数字',
  TAIWAN_TRAVEL_PERMIT: '通行证号码有误:台湾居民来往大陆通行证号码为8位数字',
  FOREIGN_PERMANENT_RESIDENCE_CARD: '证件号码有误:外国人永久居留身份证号码为3个英文字母加12位数字,或以9开头的18位号码',
};

export const normaliseDocumentNumber = (raw: string) => raw.normalize('NFKC').trim().toUpperCase();

/** Throws INVALID_ID_CARD_NUMBER with the document's own hint, like any other bad number. */
export function parseReviewDocumentNumber(raw: string, documentType: ReviewDocumentType, today: Date = new Date()): ReviewDocumentNumber {
  const number = normaliseDocumentNumber(raw);
  const value = lifelongNumber(number, documentType, today);
  if (value === undefined) throw new DomainError(ErrorCode.INVALID_ID_CARD_NUMBER, REVIEW_NUMBER_HINTS[documentType]);
  return { documentType, value };
}

function lifelongNumber(number: string, documentType: ReviewDocumentType, today: Date): string | undefined {
  switch (documentType) {
    case 'HK_MACAO_TRAVEL_PERMIT':
      return HK_MACAO.exec(number)?.[1];
    case 'TAIWAN_TRAVEL_PERMIT':
      return TAIWAN.exec(number)?.[1];
    case 'FOREIGN_PERMANENT_RESIDENCE_CARD':
      if (FOREIGN_2017.test(number)) return number;
      if (!FOREIGN_2023.test(number) || checkDigit(number.slice(0, 17)) !== number[17]) return undefined;
      return plausibleBirthDate(number.slice(6, 14), today) && number;
  }
}

export function isValidReviewDocumentNumber(raw: string, documentType: ReviewDocumentType, today?: Date): boolean {
  return parses(() => parseReviewDocumentNumber(raw, documentType, today));
}

/**
 * Names as on these documents: Chinese, or Latin letters on a foreigner's card ("WU, QUANBIN"), so
 * unlike a start's name (Aliyun refuses Latin letters) letters of any script, spaces, `·`, `.`, `,`,
 * `'` and `-` are taken; digits never.
 */
const NAME = /^[\p{L}\p{M}·•.,'’\- ]{1,80}$/u;

export function reviewApplicantName(raw: string): string {
  const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!NAME.test(name) || !/\p{L}/u.test(name)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请输入与证件上一致的姓名(中文或英文)');
  return name;
}

/** What a user sends to ask for a review of a document (DocumentReviewInput). */
export interface DocumentReviewInput {
  documentType: string;
  realName: string;
  documentNumber: string;
  note?: string | null;
  consentVersion: string;
  /** The consent to operators seeing the name and number (and the note): only `true` is consent. */
  reviewConsent: boolean;
}

export interface DocumentReviewApplication {
  documentType: ReviewDocumentType;
  realName: string;
  documentNumber: string;
  note: string | null;
}

/** In the order a user should hear about it, as a start's application; throws the first refusal. */
export function parseDocumentReview(input: DocumentReviewInput, today: Date): DocumentReviewApplication {
  if (!isReviewDocumentType(input.documentType)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请选择证件类型');
  const realName = reviewApplicantName(input.realName);
  const { value } = parseReviewDocumentNumber(input.documentNumber, input.documentType, today);
  const note = reviewNote(input.note);
  if (input.consentVersion !== CONSENT_TERMS.version || input.reviewConsent !== true) throw new DomainError(ErrorCode.CONSENT_REQUIRED);
  return { documentType: input.documentType, realName, documentNumber: value, note };
}
