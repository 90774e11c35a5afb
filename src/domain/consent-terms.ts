/**
 * The notice a user accepts before anything is processed (PIPL Art. 14, 17, 29). A new version
 * means every user accepts again, so `startVerification` compares against this exact string.
 */
export const CONSENT_TERMS = {
  version: '2026-11-01',
  text: [
    '微爱帮实名认证个人信息处理授权书',
    '一、处理目的:为确认寄信人真实身份、保障信件往来安全,我们需要核验您的真实姓名与居民身份证号码。',
    '二、处理方式:您的姓名与身份证号码将提交至阿里云实人认证服务,与权威数据源比对;在本服务内加密存储,仅展示脱敏信息。',
    '三、保存期限:认证通过后身份信息保存至认证有效期(365天)届满或您删除数据为止;未通过的认证记录按规定期限删除。',
    '四、您的权利:您可以随时查阅、导出或删除您的个人信息,删除后需重新认证方可寄信。',
  ].join('\n'),
  biometricText: [
    '人脸信息单独授权',
    '为完成活体检测与人脸比对,您的人脸图像将由阿里云实人认证服务采集并与身份证照片比对。',
    '人脸信息属于敏感个人信息,仅用于本次身份核验;除非另行设置保存期限,本服务不保存人脸图像。',
  ].join('\n'),
} as const;

export const SUPPORTED_DOCUMENTS = [
  { type: 'RESIDENT_ID_CARD', name: '中华人民共和国居民身份证', description: '18位公民身份号码(15位旧号码将自动升级)' },
] as const;
