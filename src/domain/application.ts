import { CONSENT_TERMS } from './consent-terms.js';
import { DomainError, ErrorCode } from './errors.js';
import { DEFAULT_DOCUMENT_TYPE, isDocumentType, type DocumentType } from './documents.js';
import { parseDocumentNumber } from './id-card.js';
import type { VerificationPurpose } from './verification-status.js';

/** What a user sends to start a verification (StartVerificationInput). */
export interface StartInput {
  realName: string;
  idCardNumber: string;
  /** Absent: the resident ID card. */
  documentType?: string | null;
  consentVersion: string;
  /** The separate consent to face processing (PIPL Art. 29): only `true` is consent. */
  biometricConsent: boolean;
  returnUrl?: string | null;
  idempotencyKey?: string | null;
  metaInfo?: string | null;
  /** 适老化模式: Aliyun's page in its elderly-friendly form. */
  elderlyMode?: boolean | null;
}

/** A start that passed validation: what goes to the provider and into the record. */
export interface Application {
  realName: string;
  idCardNumber: string;
  documentType: DocumentType;
  /** `YYYY-MM-DD`, from the number: the 14+ rule is ours (Aliyun has no age code). */
  birthDate: string;
  idempotencyKey: string | null;
  returnUrl: string;
  metaInfo?: string;
  /** VERIFY for a typed start; RENEWAL and STEP_UP carry the held identity instead. */
  purpose: VerificationPurpose;
  elderlyMode: boolean;
}

/** Where a request came from: recorded with the consent, and one of the start budgets. */
export interface RequestMeta {
  clientIp?: string;
  userAgent?: string;
}

/** Where a user may be sent back to after liveness: our own origin and the configured ones. */
export interface ReturnUrlPolicy {
  publicBaseUrl: string;
  returnUrlOrigins: readonly string[];
}

/** LIVE H5 starts need a real MetaInfo; the sandbox stands one in, and the WeChat path sends none. */
export interface ApplicationPolicy extends ReturnUrlPolicy {
  requireMetaInfo: boolean;
}

const NAME = /^[\p{Script=Han}\p{L}\p{M}·•. ]{1,40}$/u;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/** Checks a start's input in the order a user should hear about it; throws the first refusal. */
export function parseApplication(input: StartInput, policy: ApplicationPolicy, today: Date): Application {
  const realName = input.realName.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!NAME.test(realName) || !/\p{L}/u.test(realName)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请输入与身份证一致的真实姓名');
  // Names on the ID card and both residence permits are written in Chinese; Aliyun refuses Latin letters (Code 401).
  if (/[A-Za-z]/.test(realName)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请输入与身份证一致的中文姓名');
  const documentType = input.documentType ?? DEFAULT_DOCUMENT_TYPE;
  if (!isDocumentType(documentType)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '请选择证件类型');
  const idCard = parseDocumentNumber(input.idCardNumber, documentType, today);
  if (input.consentVersion !== CONSENT_TERMS.version || input.biometricConsent !== true) {
    throw new DomainError(ErrorCode.CONSENT_REQUIRED);
  }
  const returnUrl = checkReturnUrl(input.returnUrl, policy);
  const metaInfo = checkMetaInfo(input.metaInfo, policy.requireMetaInfo);
  const idempotencyKey = input.idempotencyKey ?? null;
  if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'idempotencyKey 须为 8–64 位字母、数字、- 或 _');
  }
  return { realName, idCardNumber: idCard.value, documentType, birthDate: idCard.birthDate, idempotencyKey, returnUrl, metaInfo, elderlyMode: input.elderlyMode === true, purpose: 'VERIFY' };
}

/**
 * Aliyun (InitFaceVerify, MetaInfo, required): "实际环境需要通过JS文件,调用函数getMetaInfo()获取",
 * and without a real one no CertifyUrl comes back. A LIVE start without it is refused here, before
 * Aliyun is called (and billed); the client can act on the message.
 */
function checkMetaInfo(raw: string | null | undefined, required: boolean): string | undefined {
  if (!raw) {
    if (required) throw new DomainError(ErrorCode.BAD_USER_INPUT, '缺少 metaInfo:请在页面加载阿里云实人认证脚本,调用 getMetaInfo() 并随请求提交');
    return undefined;
  }
  if (raw.length > 8192 || !isJsonObject(raw)) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'metaInfo 无效:请原样提交 getMetaInfo() 的返回值');
  return raw;
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function checkReturnUrl(raw: string | null | undefined, policy: ReturnUrlPolicy): string {
  if (!raw) return `${policy.publicBaseUrl}/return`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'returnUrl 不是有效的地址');
  }
  const allowed = [new URL(policy.publicBaseUrl).origin, ...policy.returnUrlOrigins];
  if (!['https:', 'http:'].includes(url.protocol) || !allowed.includes(url.origin) || raw.length > 1024) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'returnUrl 不在允许的域名内');
  }
  // `https://user:pass@host/` passes the origin check; credentials have no business in a redirect
  // Aliyun stores and sends the user's browser to.
  url.username = '';
  url.password = '';
  return url.toString();
}
