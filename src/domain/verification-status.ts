export const VERIFICATION_STATUSES = ['PENDING', 'PROCESSING', 'VERIFIED', 'FAILED', 'CANCELED', 'EXPIRED'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** VERIFY: a start with a typed name and number; RENEWAL and STEP_UP: one face check against the held identity. */
export const VERIFICATION_PURPOSES = ['VERIFY', 'RENEWAL', 'STEP_UP'] as const;
export type VerificationPurpose = (typeof VERIFICATION_PURPOSES)[number];

export const OPEN_STATUSES = ['PENDING', 'PROCESSING'] as const satisfies readonly VerificationStatus[];
export type OpenStatus = (typeof OPEN_STATUSES)[number];

export const isTerminal = (status: VerificationStatus) => status !== 'PENDING' && status !== 'PROCESSING';

/** A verification only moves forward: open states to PROCESSING or to a terminal state, never back. */
export function canMove(from: VerificationStatus, to: VerificationStatus): boolean {
  if (isTerminal(from)) return false;
  if (from === 'PROCESSING' && to === 'PENDING') return false;
  return from !== to;
}

/** The states a verification may move to `to` from; the repository's conditional UPDATE uses them. */
export const statesMovableTo = (to: VerificationStatus): VerificationStatus[] => VERIFICATION_STATUSES.filter((from) => canMove(from, to));

/** STEP_UP_REQUIRED is only ever the gate's reason (verifyIdentity with maxFaceCheckAgeDays), never a user's status. */
export const AUTH_STATUSES = ['UNVERIFIED', 'PENDING', 'VERIFIED', 'FAILED', 'EXPIRED', 'LOCKED', 'DENIED', 'STEP_UP_REQUIRED'] as const;
export type AuthStatus = (typeof AUTH_STATUSES)[number];

/** Why a verification did not end VERIFIED, in our own words (provider SubCodes map onto these). */
export const FAILURE_REASONS = {
  /**
   * Id2MetaVerify BizCode 2 (name and number do not match) and 3 (no such identity), SubCode 201/202:
   * one answer, so a start cannot tell whether a number exists. The audit trail keeps which it was.
   */
  IDENTITY_NOT_CONFIRMED: '身份信息核验未通过,请核对姓名和身份证号码;如确认无误,可申请人工审核',
  NO_ID_PHOTO: '无法获取身份证照片,请稍后再试',
  FACE_MISMATCH: '人脸比对未通过',
  LIVENESS_RISK: '活体检测未通过',
  POLICY: '认证存在风险,未通过',
  ID_PHOTO_MISMATCH: '人脸与身份证照片不一致',
  SOURCE_ERROR: '权威数据源异常,请稍后再试',
  UNDER_AGE: '未满14周岁,无法进行人脸认证',
  DOCUMENT_NOT_ACCEPTED: '本服务暂不支持该证件在线认证,请申请人工审核',
  TOO_MANY_ATTEMPTS: '今日认证次数过多,请明日再试',
  IDENTITY_ALREADY_BOUND: '该身份已绑定其他账号,如非本人操作请联系客服',
  PROVIDER_REJECTED: '认证请求被拒绝,请核对信息后重试',
  CANCELED_BY_USER: '认证已取消',
  SUPERSEDED: '已发起新的认证',
  ABANDONED: '认证超时未完成',
  REVIEW_REJECTED: '人工审核未通过',
  UNKNOWN: '认证未通过',
} as const;
export type FailureCode = keyof typeof FAILURE_REASONS;

/** Codes earlier versions stored, and what they read as now. */
const FORMER_CODES: Readonly<Record<string, FailureCode>> = {
  NAME_ID_MISMATCH: 'IDENTITY_NOT_CONFIRMED',
  NO_SUCH_IDENTITY: 'IDENTITY_NOT_CONFIRMED',
};

/**
 * A stored code as this version names it: a former code reads as its successor, and one this
 * version does not know (written by a newer replica) as UNKNOWN, since the API's enum has no other.
 */
export function failureCodeOf(code: string): FailureCode {
  if (Object.hasOwn(FAILURE_REASONS, code)) return code as FailureCode;
  return FORMER_CODES[code] ?? 'UNKNOWN';
}

export function failureReason(code: string | null | undefined): { code: FailureCode; message: string } | null {
  if (!code) return null;
  const known = failureCodeOf(code);
  return { code: known, message: FAILURE_REASONS[known] };
}
