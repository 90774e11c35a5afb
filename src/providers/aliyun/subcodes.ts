import type { FailureCode } from '../../domain/verification-status.js';

/**
 * Aliyun's codes and what they mean for us. They stay in providers/aliyun: the rest of the service
 * sees only our FailureCode. Source: Aliyun 实人认证 API 2019-03-07, the error codes of
 * InitFaceVerify, DescribeFaceVerify, Id2MetaVerify and ContrastFaceVerify, and the
 * DescribeFaceVerify SubCode table.
 */

/** DescribeFaceVerify / ContrastFaceVerify `ResultObject.SubCode` → our reason. 200 is a pass. */
export const SUBCODE_FAILURES: Readonly<Record<string, FailureCode>> = {
  '201': 'IDENTITY_NOT_CONFIRMED',
  '202': 'IDENTITY_NOT_CONFIRMED',
  '203': 'NO_ID_PHOTO',
  '204': 'FACE_MISMATCH',
  '205': 'LIVENESS_RISK',
  '206': 'POLICY',
  '207': 'ID_PHOTO_MISMATCH',
  '209': 'SOURCE_ERROR',
};

export function failureOfSubCode(subCode: string): FailureCode {
  return SUBCODE_FAILURES[subCode] ?? 'UNKNOWN';
}

export type CloudauthAction = 'Id2MetaVerify' | 'InitFaceVerify' | 'DescribeFaceVerify' | 'ContrastFaceVerify';

/**
 * Response `Code`s that are a final answer about this user or session: never retried, never failed
 * over, never counted by the breaker.
 * - InitFaceVerify/ContrastFaceVerify 417: no comparison source (after SubCode 201/202/203 for the
 *   same identity a new start gets it); 418: too many attempts today.
 * - DescribeFaceVerify 406: invalid CertifyId; 417: no comparison source; 427: refused by risk policy.
 * - Id2MetaVerify 403: too many repeated calls.
 * There is no age code: InitFaceVerify has no 405, the service checks 14+ from the number itself.
 */
const FINAL_CODES: Readonly<Record<CloudauthAction, Readonly<Record<string, FailureCode>>>> = {
  Id2MetaVerify: { '403': 'TOO_MANY_ATTEMPTS' },
  InitFaceVerify: { '417': 'NO_ID_PHOTO', '418': 'TOO_MANY_ATTEMPTS' },
  DescribeFaceVerify: { '406': 'PROVIDER_REJECTED', '417': 'NO_ID_PHOTO', '427': 'POLICY' },
  ContrastFaceVerify: { '417': 'NO_ID_PHOTO', '418': 'TOO_MANY_ATTEMPTS' },
};

/**
 * 400 missing parameter, 401 bad parameter (an unusable CallbackUrl included), 404 unknown scene:
 * what we sent was wrong. The service validates the user's input first, so these are our
 * configuration's fault — never the user's, and never counted toward their lockout.
 */
const CONFIGURATION_CODES: Readonly<Record<string, string>> = {
  '400': 'cloudauth refused a request with a missing parameter',
  '401': 'cloudauth refused a parameter (check CallbackUrl is https and reachable, MetaInfo, SceneId)',
  '404': 'cloudauth does not know the SceneId',
};

export function finalFailureOf(action: CloudauthAction, code: string): FailureCode | undefined {
  return FINAL_CODES[action][code];
}

export function configurationProblemOf(code: string): string | undefined {
  return CONFIGURATION_CODES[code];
}
