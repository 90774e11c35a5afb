/** Every refusal the service can give, one code each. The GraphQL layer maps them in one place. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  INVALID_ID_CARD_NUMBER = 'INVALID_ID_CARD_NUMBER',
  CONSENT_REQUIRED = 'CONSENT_REQUIRED',
  IDENTITY_ALREADY_BOUND = 'IDENTITY_ALREADY_BOUND',
  ALREADY_VERIFIED = 'ALREADY_VERIFIED',
  /** A renewal before IDENTITY_RENEWAL_DAYS ahead of expiry; `renewableFrom` says when it opens. */
  RENEWAL_NOT_OPEN = 'RENEWAL_NOT_OPEN',
  RATE_LIMITED = 'RATE_LIMITED',
  LOCKED = 'LOCKED',
  /** The account or the number is on the denylist. */
  IDENTITY_DENIED = 'IDENTITY_DENIED',
  PROVIDER_UNAVAILABLE = 'PROVIDER_UNAVAILABLE',
  /** Our own database or broker is unreachable: nothing was changed, try again shortly. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
}

const messages: Record<ErrorCode, string> = {
  UNAUTHENTICATED: '请先登录',
  FORBIDDEN: '无权执行此操作',
  NOT_FOUND: '记录不存在',
  INVALID_ID_CARD_NUMBER: '身份证号码无效,请核对后重新输入',
  CONSENT_REQUIRED: '请先阅读并同意最新版本的个人信息处理授权',
  IDENTITY_ALREADY_BOUND: '该身份证已绑定其他账号',
  ALREADY_VERIFIED: '您已完成实名认证,无需重复认证',
  RENEWAL_NOT_OPEN: '尚未到续期时间,请在有效期届满前再续期',
  RATE_LIMITED: '操作过于频繁,请稍后再试',
  LOCKED: '认证失败次数过多,账号已暂时锁定',
  IDENTITY_DENIED: '该账号或证件暂不能进行实名认证,请联系客服',
  PROVIDER_UNAVAILABLE: '认证服务暂时不可用,请稍后再试',
  SERVICE_UNAVAILABLE: '服务暂时不可用,请稍后再试',
  BAD_USER_INPUT: '输入有误,请检查后重试',
};

/**
 * A refusal a user can act on. Messages are Chinese, user-facing, and never hold PII or internals;
 * `details` travel to the client as extensions (e.g. `retryAfter`), so they must be safe too.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = messages[code],
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Whether `parse` returns rather than refusing with a DomainError; any other error is thrown on. */
export function parses(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false;
    throw error;
  }
}
