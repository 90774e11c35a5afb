/** True when a statement failed on a unique index (optionally a given one), whichever driver ran it. */
export function isUniqueViolation(error: unknown, indexName?: string): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, constraint, constraint_name } = e as Record<string, unknown>;
    if (code === '23505') return !indexName || constraint === indexName || constraint_name === indexName;
  }
  return false;
}

/** postgres.js's own codes for a lost or refused connection, and the socket errors beneath them. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
/** SQLSTATE class 08 (connection exception), shutdown/starting up (57P01–57P03), too many connections. */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;

/** True when the database could not be reached (down, restarting, full): nothing ran, try again. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, errno } = e as Record<string, unknown>;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return true;
    if (typeof errno === 'string' && CONNECTION_CODES.has(errno)) return true;
  }
  return false;
}
