/**
 * The notice a user accepts before anything is processed (PIPL Art. 14, 17, 29). A new version
 * means every user accepts again, so `startVerification` compares against this exact string.
 * Its periods are the defaults of IDENTITY_VALIDITY_DAYS, IDENTITY_RENEWAL_GRACE_DAYS,
 * FAILED_RETENTION_DAYS and BACKUP_RETENTION_DAYS: a deployment that changes one changes this text
 * and its version with it.
 */
export const CONSENT_TERMS = {
  version: '2026-12-02',
  text: [
    '微爱帮实名认证个人信息处理授权书',
    '一、处理目的:为确认寄信人真实身份、保障信件往来安全,我们需要核验您的真实姓名与居民身份证号码。',
    '二、处理方式:您的姓名与身份证号码将提交至阿里云实人认证服务,与权威数据源比对;在本服务内加密存储,仅展示脱敏信息。',
    '三、保存期限:认证通过的姓名与身份证号码(加密存储)保存至以下情形最先发生之时:认证有效期(365天)届满后满30天(供您凭原身份续期);您重新认证通过;身份绑定被解除;您删除数据。届时姓名、号码及保存的人脸图像一并删除,仅保留认证的状态、方式与时间。',
    '未通过、已取消或已超时的认证,其姓名与号码在结束后90天删除。授权记录保留条款版本与时间,其IP地址与设备信息随对应认证一并删除。为防止他人冒用,账号与证件号码的绑定以不可逆摘要保存,直至绑定被解除或您删除数据。',
    '数据备份最长保留30天:您删除数据后,在线数据即刻无法解密;备份中的副本随备份到期删除,且在封装其密钥的主密钥版本停用销毁后无法解密。',
    '四、您的权利:您可以随时查阅、导出或删除您的个人信息,删除后需重新认证方可寄信。',
  ].join('\n'),
  biometricText: [
    '人脸信息单独授权',
    '为完成活体检测与人脸比对,您的人脸图像将由阿里云实人认证服务采集并与身份证照片比对。',
    '人脸信息属于敏感个人信息,仅用于本次身份核验;除非另行设置保存期限,本服务不保存人脸图像。',
  ].join('\n'),
  /** The separate notice of a document review (requestDocumentReview): people, not Aliyun, see the data. */
  reviewText: [
    '其他证件人工审核授权',
    '港澳居民来往内地通行证、台湾居民来往大陆通行证和外国人永久居留身份证无法在线核验,需由人工审核。',
    '您提交的姓名、证件号码和说明将加密保存,仅供微爱帮审核人员核实您的身份时查看;不会提交至阿里云,也不采集人脸信息。',
    '审核通过后按上述期限保存;审核未通过或申请撤回的,姓名与号码在结束后90天删除。',
  ].join('\n'),
} as const;
