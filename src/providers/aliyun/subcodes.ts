/**
 * What cloudauth's codes mean for a user, in Chinese. Source: Aliyun 实人认证 API 2019-03-07,
 * InitFaceVerify / DescribeFaceVerify error codes and the ID_PRO SubCode table.
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

export interface SubCodeReason {
  code: string;
  message: string;
}

/** DescribeFaceVerify `SubCode`. 208 is not documented for ID_PRO and falls to `subCodeReason`'s default. */
export const SUBCODE_REASONS: Readonly<Record<string, SubCodeReason>> = {
  '200': { code: 'PASSED', message: '认证通过' },
  '201': { code: 'NAME_ID_MISMATCH', message: '姓名与身份证号不一致' },
  '202': { code: 'NO_SUCH_IDENTITY', message: '查询不到该身份信息' },
  '203': { code: 'NO_ID_PHOTO', message: '查询不到身份证照片或照片不可用' },
  '204': { code: 'FACE_MISMATCH', message: '人脸比对不一致' },
  '205': { code: 'LIVENESS_RISK', message: '活体检测存在风险,请本人在光线充足处重试' },
  '206': { code: 'POLICY', message: '因业务策略限制,认证未通过' },
  '207': { code: 'ID_PHOTO_MISMATCH', message: '人脸与身份证照片比对不一致' },
  '209': { code: 'SOURCE_ERROR', message: '权威数据源暂时异常,请稍后重试' },
};

export function subCodeReason(subCode: string): SubCodeReason {
  return SUBCODE_REASONS[subCode] ?? { code: 'UNKNOWN', message: '认证未通过,请稍后重试' };
}
