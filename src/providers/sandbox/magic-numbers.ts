import { checkDigit } from '../../domain/id-card.js';

/**
 * ID numbers the sandbox answers in a documented, non-passing way. All are checksum-valid
 * (GB 11643) with birth dates in the past, so the service's own validation lets them through to the
 * provider: area 110101 for the ID card, 810000/820000/830000 for the residence permits (which Aliyun
 * takes with the same CertType IDENTITY_CARD). Every other checksum-valid number passes everything.
 *
 * | number             | Id2MetaVerify  | InitFaceVerify | DescribeFaceVerify after "pass"       |
 * |--------------------|----------------|----------------|---------------------------------------|
 * | 110101199001010015 | BizCode 2      | 200            | Passed F, SubCode 201                 |
 * | 110101199001010023 | BizCode 3      | 200            | Passed F, SubCode 202                 |
 * | 110101202001010036 | (the service refuses it: born 2020-01-01, under 14 — Aliyun has no age code) |
 * | 11010119900101004X | BizCode 1      | Code 418       | -  (too many attempts today)          |
 * | 110101199001010058 | BizCode 1      | 200            | Passed F, SubCode 204                 |
 * | 110101199001010066 | BizCode 1      | 200            | Passed F, SubCode 205                 |
 * | 110101199001010074 | Code 403       | -              | -  (too many repeated calls)          |
 * | 110101199001010082 | BizCode 1      | Code 417       | -  (no comparison source)             |
 * | 110101199001010090 | BizCode 1      | 200            | Code 427 (risk policy)                |
 * | 110101199001010103 | BizCode 1      | 200            | Passed F, SubCode 203 (no ID photo)   |
 * | 810000199001010190 | BizCode 3      | 200            | Passed F, SubCode 202 (HK permit)     |
 * | 820000199001010272 | BizCode 1      | 200            | Passed F, SubCode 204 (Macao permit)  |
 * | 830000199001010354 | BizCode 2      | 200            | Passed F, SubCode 201 (Taiwan permit) |
 * | 830000199001010434 | BizCode 1      | 200            | Passed F, SubCode 205 (Taiwan permit) |
 *
 * After a session of a number ends with SubCode 201, 202 or 203, every later InitFaceVerify for that
 * number answers Code 417, as Aliyun does ("no comparison source" for that identity).
 * A checksum-invalid number or a name with Latin letters gets Code 401.
 * Pressing "fail" on the certify page gives Passed F, SubCode 205 for any number.
 */
export const SANDBOX_MAGIC_NUMBERS = {
  NAME_MISMATCH: '110101199001010015',
  NO_RECORD: '110101199001010023',
  UNDER_14: '110101202001010036',
  TOO_MANY_ATTEMPTS: '11010119900101004X',
  FACE_MISMATCH: '110101199001010058',
  LIVENESS_RISK: '110101199001010066',
  TOO_MANY_REPEATED_CALLS: '110101199001010074',
  NO_COMPARISON_SOURCE: '110101199001010082',
  RISK_POLICY: '110101199001010090',
  NO_ID_PHOTO: '110101199001010103',
  HK_PERMIT_NO_RECORD: '810000199001010190',
  MACAO_PERMIT_FACE_MISMATCH: '820000199001010272',
  TAIWAN_PERMIT_NAME_MISMATCH: '830000199001010354',
  TAIWAN_PERMIT_LIVENESS_RISK: '830000199001010434',
} as const;

/** Residence permit numbers that pass everything, one per prefix, for examples and tests. */
export const SANDBOX_PERMIT_NUMBERS = {
  HONG_KONG: '810000199001010019',
  MACAO: '820000199001010010',
  TAIWAN: '830000199001010012',
} as const;

const NAME_MISMATCHES: ReadonlySet<string> = new Set([SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_NAME_MISMATCH]);
const NO_RECORDS: ReadonlySet<string> = new Set([SANDBOX_MAGIC_NUMBERS.NO_RECORD, SANDBOX_MAGIC_NUMBERS.HK_PERMIT_NO_RECORD]);

/** Id2MetaVerify's BizCode for a number: 1 match, 2 name/number mismatch, 3 no record. */
export function identityBizCode(idCardNumber: string): '1' | '2' | '3' {
  return NAME_MISMATCHES.has(idCardNumber) ? '2' : NO_RECORDS.has(idCardNumber) ? '3' : '1';
}

/** Which document a number's prefix names, as the certify page shows it (Aliyun's CertType is the same for all). */
export function documentNameOf(idCardNumber: string): string {
  const prefix = idCardNumber.slice(0, 2);
  return prefix === '81' || prefix === '82' ? '港澳居民居住证' : prefix === '83' ? '台湾居民居住证' : '居民身份证';
}

/** SubCodes after which Aliyun has no comparison source for that identity any more (Code 417). */
export const SOURCE_LOST_SUBCODES: ReadonlySet<string> = new Set(['201', '202', '203']);

/** The sandbox's own, deliberately small check: 18 characters and a correct check digit. */
export function hasValidCheckDigit(idCardNumber: string): boolean {
  if (!/^\d{17}[\dX]$/.test(idCardNumber)) return false;
  return checkDigit(idCardNumber.slice(0, 17)) === idCardNumber[17];
}

export function isUnder14(idCardNumber: string, now: Date): boolean {
  const year = Number(idCardNumber.slice(6, 10));
  const month = Number(idCardNumber.slice(10, 12));
  const day = Number(idCardNumber.slice(12, 14));
  const fourteenth = Date.UTC(year + 14, month - 1, day);
  return now.getTime() < fourteenth;
}

/** SubCode a completed session reports, given the button the user pressed. */
export function faceSubCode(idCardNumber: string, outcome: 'pass' | 'fail'): string {
  if (outcome === 'fail') return '205';
  if (NAME_MISMATCHES.has(idCardNumber)) return '201';
  if (NO_RECORDS.has(idCardNumber)) return '202';
  switch (idCardNumber) {
    case SANDBOX_MAGIC_NUMBERS.NO_ID_PHOTO:
      return '203';
    case SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH:
    case SANDBOX_MAGIC_NUMBERS.MACAO_PERMIT_FACE_MISMATCH:
      return '204';
    case SANDBOX_MAGIC_NUMBERS.LIVENESS_RISK:
    case SANDBOX_MAGIC_NUMBERS.TAIWAN_PERMIT_LIVENESS_RISK:
      return '205';
    default:
      return '200';
  }
}
