/**
 * Codes the service puts in `extensions.code`, plus NETWORK_ERROR for a request that never got an
 * answer. Open-ended: a code added on the server still arrives, as a string.
 */
export type RealnameErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INVALID_ID_CARD_NUMBER'
  | 'CONSENT_REQUIRED'
  | 'ALREADY_VERIFIED'
  | 'RENEWAL_NOT_OPEN'
  | 'RATE_LIMITED'
  | 'LOCKED'
  | 'IDENTITY_DENIED'
  | 'PROVIDER_UNAVAILABLE'
  | 'SERVICE_UNAVAILABLE'
  | 'BAD_USER_INPUT'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'INTERNAL_SERVER_ERROR'
  | 'NETWORK_ERROR'
  | (string & {});

export interface GraphQLErrorShape {
  message: string;
  extensions?: Record<string, unknown>;
}

const NETWORK_MESSAGE = '网络连接失败,请检查网络后重试';

/**
 * A refusal from the service: `code` to branch on, `message` in Chinese to show the user as is.
 *
 * @example
 * try { await client.startVerification(input) }
 * catch (e) { if (e instanceof RealnameError && e.code === 'LOCKED') showUnlockTime(e.lockedUntil) }
 */
export class RealnameError extends Error {
  /** Seconds until a RATE_LIMITED or LOCKED refusal lifts. */
  readonly retryAfter?: number;
  /** When a LOCKED account unlocks (ISO 8601). */
  readonly lockedUntil?: string;
  /** When a RENEWAL_NOT_OPEN renewal may start (ISO 8601). */
  readonly renewableFrom?: string;
  readonly requestId?: string;

  constructor(
    readonly code: RealnameErrorCode,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RealnameError';
    if (typeof extensions.retryAfter === 'number') this.retryAfter = extensions.retryAfter;
    if (typeof extensions.lockedUntil === 'string') this.lockedUntil = extensions.lockedUntil;
    if (typeof extensions.renewableFrom === 'string') this.renewableFrom = extensions.renewableFrom;
    if (typeof extensions.requestId === 'string') this.requestId = extensions.requestId;
  }

  static fromGraphQL(errors: readonly GraphQLErrorShape[]): RealnameError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
    return new RealnameError(code, first?.message ?? '服务内部错误,请稍后再试', first?.extensions);
  }

  static network(cause?: unknown): RealnameError {
    const error = new RealnameError('NETWORK_ERROR', NETWORK_MESSAGE);
    if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause });
    return error;
  }
}

export function isGraphQLErrorList(value: unknown): value is GraphQLErrorShape[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null && typeof (e as GraphQLErrorShape).message === 'string');
}
