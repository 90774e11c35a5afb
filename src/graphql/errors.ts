import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';

const INTERNAL = { message: '服务内部错误,请稍后再试', code: 'INTERNAL_SERVER_ERROR' };

/** Codes a client may branch on besides ours: GraphQL's own refusals of a malformed operation. */
const GRAPHQL_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST']);

/**
 * Apollo refuses some requests with a bare GraphQLError that has an HTTP status but no code (a
 * persisted query whose hash does not match its text, an unsupported persisted-query version);
 * Apollo then labels it INTERNAL_SERVER_ERROR, the code alerts watch. A 4xx is the client's fault.
 */
function isClientRequestError(error: GraphQLError): boolean {
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return !error.originalError && typeof status === 'number' && status >= 400 && status < 500;
}

function extensionsOf(error: DomainError): Record<string, unknown> {
  switch (error.code) {
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.LOCKED:
    case ErrorCode.RENEWAL_NOT_OPEN:
      return { code: error.code, ...error.details };
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.INVALID_ID_CARD_NUMBER:
    case ErrorCode.CONSENT_REQUIRED:
    case ErrorCode.IDENTITY_ALREADY_BOUND:
    case ErrorCode.ALREADY_VERIFIED:
    case ErrorCode.IDENTITY_DENIED:
    case ErrorCode.PROVIDER_UNAVAILABLE:
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.BAD_USER_INPUT:
      return { code: error.code };
    default: {
      const unreachable: never = error.code;
      return { code: unreachable };
    }
  }
}

/**
 * The one place errors become what clients see: domain refusals keep their code and Chinese
 * message; GraphQL's own syntax/validation errors pass; anything else is internal, logged here
 * with the request id, and shown without its details.
 */
export function formatError(log: Logger, formatted: GraphQLFormattedError, error: unknown, requestId?: string): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const location = { path: formatted.path, locations: formatted.locations };
  if (original instanceof DomainError) return { message: original.message, ...location, extensions: extensionsOf(original) };
  if (isDatabaseUnavailable(original)) {
    log.warn({ err: safeError(original), requestId, path: formatted.path }, 'database unavailable');
    const unavailable = new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
    return { message: unavailable.message, ...location, extensions: extensionsOf(unavailable) };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && typeof code === 'string' && GRAPHQL_CODES.has(code)) {
    return { message: redactValues(formatted.message), locations: formatted.locations, extensions: { code } };
  }
  if (original instanceof GraphQLError && isClientRequestError(original)) {
    return { message: redactValues(formatted.message), locations: formatted.locations, extensions: { code: 'BAD_REQUEST' } };
  }
  if (original instanceof GraphQLError && !original.originalError && code === undefined) {
    // Validation rules (depth, cost, aliases...) report as plain GraphQLErrors.
    return { message: redactValues(formatted.message), locations: formatted.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  log.error({ err: safeError(original), requestId, path: formatted.path }, 'unhandled error');
  return { message: INTERNAL.message, ...location, extensions: { code: INTERNAL.code, requestId } };
}

/** Name and stack frames only: driver and provider messages may quote parameters, over several lines. */
function safeError(error: unknown) {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = error.stack?.split('\n').filter((line) => line.startsWith('    at ')).slice(0, 5);
  return { type: error.name, code: (error as { code?: unknown }).code, stack: frames?.join('\n') };
}

/**
 * graphql-js quotes offending values in coercion errors ("String cannot represent … 110101…"), so a
 * number or a name sent with the wrong type would echo back. Long digit runs and Han text go.
 */
export function redactValues(message: string): string {
  return message.replace(/\d{6,}[\dXx]*/g, '***').replace(/[\p{Script=Han}·]+/gu, '***');
}

/** What Apollo's `hideSchemaDetailsFromClientErrors` does on HTTP, for graphql-ws in production. */
export function withoutSuggestions(error: GraphQLError): GraphQLError {
  const message = error.message.replace(/ ?Did you mean(.+?)\?$/, '');
  return message === error.message ? error : new GraphQLError(message, { nodes: error.nodes, extensions: error.extensions });
}
