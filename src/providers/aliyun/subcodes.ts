import type { FailureCode } from '../../domain/verification-status.js';

/**
 * Aliyun's codes and what they mean for us. They stay in providers/aliyun: the rest of the service
 * sees only our FailureCode. Source: Aliyun 实人认证 API 2019-03-07, InitFaceVerify /
 * DescribeFaceVerify / Id2MetaVerify error codes and the DescribeFaceVerify SubCode table.
 */

/** DescribeFaceVerify `ResultObject.SubCode` → our reason. 200 is a pass. */
export const SUBCODE_FAILURES: Readonly<Record<string, FailureCode>> = {
  '201': 'NAME_ID_MISMATCH',
  '202': 'NO_SUCH_IDENTITY',
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

/** Response `Code`s that are a final answer about this request, not an outage. */
export const REJECTIONS: Readonly<Record<string, { failureCode: FailureCode; message: string }>> = {
  '400': { failureCode: 'PROVIDER_REJECTED', message: '认证请求参数有误,请稍后重试' },
  '401': { failureCode: 'NAME_ID_MISMATCH', message: '姓名与身份证号不匹配或身份证号无效,请核对后重新输入' },
  '404': { failureCode: 'PROVIDER_REJECTED', message: '认证场景配置有误,请联系客服' },
  '405': { failureCode: 'UNDER_AGE', message: '未满14周岁,暂不支持刷脸认证' },
  '418': { failureCode: 'TOO_MANY_ATTEMPTS', message: '今日认证次数过多,请明天再试' },
};

export function isRejection(code: string): boolean {
  return Object.hasOwn(REJECTIONS, code);
}

export function describeRejection(code: string): string {
  return REJECTIONS[code]?.message ?? '认证请求未被受理,请稍后重试';
}

export function failureOfRejection(code: string): FailureCode {
  return REJECTIONS[code]?.failureCode ?? 'PROVIDER_REJECTED';
}
