/**
 * What cloudauth's codes mean for a user, in Chinese. Source: Aliyun 实人认证 API 2019-03-07,
 * InitFaceVerify / DescribeFaceVerify error codes. SubCodes map to failure reasons in
 * src/domain/verification-status.ts.
 */

/** Response `Code`s that are a refusal of this request, not an outage. */
export const REJECTION_MESSAGES: Readonly<Record<string, string>> = {
  '400': '认证请求参数有误,请稍后重试',
  '401': '姓名与身份证号不匹配或身份证号无效,请核对后重新输入',
  '404': '认证场景配置有误,请联系客服',
  '405': '未满14周岁,暂不支持刷脸认证',
  '418': '今日认证次数过多,请明天再试',
};

export function isRejection(code: string): boolean {
  return Object.hasOwn(REJECTION_MESSAGES, code);
}

export function describeRejection(code: string): string {
  return REJECTION_MESSAGES[code] ?? '认证请求未被受理,请稍后重试';
}
