import type { DocumentType } from './documents.js';
import { DomainError, ErrorCode, parses } from './errors.js';

/**
 * A 公民身份号码 that passed GB 11643-1999, normalised to 18 characters with an uppercase X: a
 * resident ID card's, or a residence permit's (the same form, prefixes 81/82/83).
 */
export interface IdCardNumber {
  value: string;
  birthDate: string;
  provinceCode: string;
  sex: 'M' | 'F';
}

/**
 * First two digits of a number: the 31 mainland provincial divisions, 71 Taiwan, 81 Hong Kong,
 * 82 Macau, and 83, used by residence permits for Taiwan residents (81/82 serve the HK/Macau ones).
 */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';
// China has kept UTC+8 without daylight saving since 1991, so a fixed offset is Asia/Shanghai.
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits. */
export function checkDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('checkDigit needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Validates and normalises a number; throws INVALID_ID_CARD_NUMBER (never echoing the number). */
export function parseIdCardNumber(raw: string, today: Date = new Date()): IdCardNumber {
  const invalid = () => new DomainError(ErrorCode.INVALID_ID_CARD_NUMBER);
  let value = raw.trim().toUpperCase();
  if (/^\d{15}$/.test(value)) {
    const first17 = `${value.slice(0, 6)}19${value.slice(6)}`;
    value = first17 + checkDigit(first17);
  }
  if (!/^\d{17}[\dX]$/.test(value)) throw invalid();
  if (checkDigit(value.slice(0, 17)) !== value[17]) throw invalid();

  const provinceCode = value.slice(0, 2);
  if (!PROVINCE_CODES.has(provinceCode)) throw invalid();

  const birthDate = plausibleBirthDate(value.slice(6, 14), today);
  if (birthDate === undefined) throw invalid();

  return { value, birthDate, provinceCode, sex: Number(value[16]) % 2 === 1 ? 'M' : 'F' };
}

/** First two digits a residence permit's number starts with; the ID card never does. */
export const PERMIT_PREFIXES: Readonly<Record<Exclude<DocumentType, 'RESIDENT_ID_CARD'>, readonly string[]>> = {
  HK_MACAO_RESIDENCE_PERMIT: ['81', '82'],
  TAIWAN_RESIDENCE_PERMIT: ['83'],
};
const ALL_PERMIT_PREFIXES: ReadonlySet<string> = new Set(Object.values(PERMIT_PREFIXES).flat());

/**
 * A number checked against its document's rules. The ID card: a mainland province code (not 81/82/83),
 * 15-digit numbers upgraded. A residence permit: 18 characters only (permits began in 2018, so no
 * 15-digit form exists) with its own prefix; birth date and check digit as GB 11643. A number under
 * the wrong document is INVALID_ID_CARD_NUMBER like any other bad number.
 */
export function parseDocumentNumber(raw: string, documentType: DocumentType, today: Date = new Date()): IdCardNumber {
  if (documentType !== 'RESIDENT_ID_CARD' && !/^\d{17}[\dXx]$/.test(raw.trim())) throw new DomainError(ErrorCode.INVALID_ID_CARD_NUMBER);
  const number = parseIdCardNumber(raw, today);
  const fits =
    documentType === 'RESIDENT_ID_CARD' ? !ALL_PERMIT_PREFIXES.has(number.provinceCode) : PERMIT_PREFIXES[documentType].includes(number.provinceCode);
  if (!fits) throw new DomainError(ErrorCode.INVALID_ID_CARD_NUMBER);
  return number;
}

export function isValidDocumentNumber(raw: string, documentType: DocumentType, today?: Date): boolean {
  return parses(() => parseDocumentNumber(raw, documentType, today));
}

export function isValidIdCardNumber(raw: string, today?: Date): boolean {
  try {
    parseIdCardNumber(raw, today);
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false;
    throw error;
  }
}

/**
 * `YYYYMMDD` → `YYYY-MM-DD` if it names a real day from 1900 to `today` (Beijing time): the birth
 * date GB 11643 puts at characters 7–14, which the 2023 foreigner's permanent residence card keeps.
 */
export function plausibleBirthDate(yyyymmdd: string, today: Date): string | undefined {
  const date = calendarDate(yyyymmdd);
  return date !== undefined && date >= EARLIEST_BIRTH_DATE && date <= shanghaiDate(today) ? date : undefined;
}

/** `YYYYMMDD` → `YYYY-MM-DD` if it names a real day of the Gregorian calendar. */
function calendarDate(yyyymmdd: string): string | undefined {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}` : undefined;
}

function shanghaiDate(instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Whole years of age on `today` (Beijing time) for a `YYYY-MM-DD` birth date. */
export function ageOn(birthDate: string, today: Date): number {
  const [year, monthDay] = [Number(birthDate.slice(0, 4)), birthDate.slice(5)];
  const now = shanghaiDate(today);
  const years = Number(now.slice(0, 4)) - year;
  return now.slice(5) >= monthDay ? years : years - 1;
}
