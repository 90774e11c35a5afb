import { RealnameError, type VerificationStatus } from '@weiaibang/realname-client';

export const STATUS_WORDS: Record<VerificationStatus, { title: string; hint: string }> = {
  PENDING: { title: '等待人脸认证', hint: '请在认证页面按提示完成人脸识别,完成后本页会自动更新。' },
  PROCESSING: { title: '正在核验', hint: '认证结果正在确认中,请稍候。' },
  VERIFIED: { title: '认证成功', hint: '您已完成实名认证,可以寄信了。' },
  FAILED: { title: '认证未通过', hint: '您可以核对信息后重新认证。' },
  CANCELED: { title: '已取消', hint: '本次认证已取消,您可以重新开始。' },
  EXPIRED: { title: '认证已过期', hint: '认证页面已超时,请重新开始。' },
};

/** An operator's review, of a document or of a failed attempt, takes people's time rather than seconds. */
export const REVIEW_WAITING_WORDS = { title: '等待人工审核', hint: '审核人员将核对您提交的信息,结果出来后本页会自动更新,您也可以稍后再回来查看。' };

const shanghai = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** When a lock lifts, in Beijing time. */
export const formatTime = (iso: string) => shanghai.format(new Date(iso));

const shanghaiDay = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });

/** When an identity expires, as a day in Beijing time. */
export const formatDate = (iso: string) => shanghaiDay.format(new Date(iso));

/** A passed renewal or step-up says what it did, not that a first verification passed. */
export const VERIFIED_WORDS: Record<'VERIFY' | 'RENEWAL' | 'STEP_UP', { title: string; hint: string }> = {
  VERIFY: STATUS_WORDS.VERIFIED,
  RENEWAL: { title: '续期成功', hint: '实名认证有效期已重新开始计算,可以继续寄信。' },
  STEP_UP: { title: '刷脸确认成功', hint: '已确认是您本人,可以寄信了。' },
};

/** The server's own sentence, with the time a refusal lifts where it says so. */
export function errorSentence(error: RealnameError): string {
  if (error.code === 'LOCKED' && error.lockedUntil) return `${error.message}。请于${formatTime(error.lockedUntil)}后再试。`;
  if (error.code === 'RATE_LIMITED' && error.retryAfter) return `${error.message}(约 ${Math.max(1, Math.ceil(error.retryAfter / 60))} 分钟后)。`;
  return error.message;
}

/** What a form says when its submit was refused: the server's sentence, or that the network failed. */
export const refusalSentence = (error: unknown) => (error instanceof RealnameError ? errorSentence(error) : '网络连接失败,请检查网络后重试');
