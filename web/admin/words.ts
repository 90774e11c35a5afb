/** What operators read instead of codes. */
export const AUTH_STATUS: Record<string, { label: string; color: string }> = {
  UNVERIFIED: { label: '未认证', color: 'default' },
  PENDING: { label: '认证中', color: 'processing' },
  VERIFIED: { label: '已认证', color: 'success' },
  FAILED: { label: '未通过', color: 'error' },
  EXPIRED: { label: '已过期', color: 'warning' },
  LOCKED: { label: '已锁定', color: 'volcano' },
  DENIED: { label: '已禁止', color: 'magenta' },
};

export const VERIFICATION_STATUS: Record<string, { label: string; color: string }> = {
  PENDING: { label: '待认证', color: 'processing' },
  PROCESSING: { label: '处理中', color: 'processing' },
  VERIFIED: { label: '通过', color: 'success' },
  FAILED: { label: '未通过', color: 'error' },
  CANCELED: { label: '已取消', color: 'default' },
  EXPIRED: { label: '已过期', color: 'warning' },
};

export const REVIEW_STATUS: Record<string, { label: string; color: string }> = {
  OPEN: { label: '待审核', color: 'processing' },
  APPROVED: { label: '已批准', color: 'success' },
  REJECTED: { label: '已驳回', color: 'error' },
  WITHDRAWN: { label: '已撤回', color: 'default' },
};

export const MODE: Record<string, string> = { LIVE: '阿里云', SANDBOX: '沙箱', MANUAL: '人工审核' };

const ACTIONS: Record<string, string> = {
  'verification.started': '发起认证',
  'verification.processing': '认证处理中',
  'verification.verified': '认证通过',
  'verification.failed': '认证未通过',
  'verification.canceled': '认证取消',
  'verification.expired': '认证超时',
  'review.requested': '申请人工审核',
  'personal_data.exported': '导出个人信息',
  'personal_data.erased': '删除个人信息',
  'data.accessed': '业务方读取状态',
  'operator.read_user': '运营查看用户',
  'operator.reveal_identity': '运营查看完整身份',
  'operator.find_accounts': '运营按证件号查询',
  'operator.unlock_user': '运营解除锁定',
  'operator.release_identity': '运营解除身份绑定',
  'operator.deny_user': '运营禁止账号',
  'operator.allow_user': '运营解禁账号',
  'operator.deny_id_number': '运营禁止证件号',
  'operator.allow_id_number': '运营解禁证件号',
  'operator.review_approved': '运营批准审核',
  'operator.review_rejected': '运营驳回审核',
  'operator.review_approval_recorded': '运营初审批准',
};
export const actionLabel = (action: string) => ACTIONS[action] ?? action;

export const FAILURE_CODE: Record<string, string> = {
  IDENTITY_NOT_CONFIRMED: '姓名与号码未通过核验',
  NO_ID_PHOTO: '无证件照片',
  FACE_MISMATCH: '人脸比对未通过',
  LIVENESS_RISK: '活体检测未通过',
  POLICY: '风险策略拦截',
  ID_PHOTO_MISMATCH: '与证件照不一致',
  SOURCE_ERROR: '数据源异常',
  UNDER_AGE: '未满14周岁',
  DOCUMENT_NOT_ACCEPTED: '证件不支持在线核验',
  TOO_MANY_ATTEMPTS: '当日次数过多',
  IDENTITY_ALREADY_BOUND: '已绑定其他账号',
  PROVIDER_REJECTED: '服务商拒绝',
  CANCELED_BY_USER: '用户取消',
  SUPERSEDED: '被新认证取代',
  ABANDONED: '超时未完成',
  REVIEW_REJECTED: '人工审核驳回',
  UNKNOWN: '其他',
};
export const failureLabel = (code: string) => FAILURE_CODE[code] ?? code;

export const DOCUMENT: Record<string, string> = {
  RESIDENT_ID_CARD: '居民身份证',
  HK_MACAO_RESIDENCE_PERMIT: '港澳居民居住证',
  TAIWAN_RESIDENCE_PERMIT: '台湾居民居住证',
  HK_MACAO_TRAVEL_PERMIT: '港澳居民来往内地通行证',
  TAIWAN_TRAVEL_PERMIT: '台湾居民来往大陆通行证',
  FOREIGN_PERMANENT_RESIDENCE_CARD: '外国人永久居留身份证',
};

/** An attempt's document: one verified online, or one only a manual review takes. */
export const documentLabel = (attempt: { documentType?: string | null; reviewDocumentType?: string | null }) => {
  const type = attempt.documentType ?? attempt.reviewDocumentType;
  return type ? (DOCUMENT[type] ?? type) : '—';
};

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—');

export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} 分钟`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} 小时`;
  return `${Math.floor(seconds / 86_400)} 天`;
}
