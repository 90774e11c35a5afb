import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isUserId, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';

export const SERVICE_SCOPE = 'realname:service';
export const ADMIN_SCOPE = 'realname:admin';
/** With `realname:service`: `redactUser`. The letter backend's token does not carry it. */
export const REDACT_SCOPE = 'realname:redact';

export interface AuthOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** The longest lifetime a token may claim: `exp` no further than this from `iat` (or from now). */
  maxTokenAgeSeconds: number;
}

/**
 * How long a fetched JWKS is trusted. With the minute for which `rememberVerifiedTokens` may answer
 * a token from memory, a key withdrawn from the JWKS stops working within a minute.
 */
export const JWKS_CACHE_MS = 30_000;

export type Authenticator = (authorization: string | undefined) => Promise<Actor>;

export function createAuthenticator(options: AuthOptions): Authenticator {
  // Imported once: given raw bytes, jose imports the key again on every verification.
  const secret = options.secret
    ? crypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    : undefined;
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: JWKS_CACHE_MS })
    : undefined;
  if (!secret && !jwks) throw new Error('an auth secret or a JWKS URL is required');
  // A token without `exp` would be good for ever.
  const claims = { issuer: options.issuer, audience: options.audience, requiredClaims: ['exp'] };

  async function verify(token: string): Promise<JWTPayload> {
    // Each key kind accepts only its own algorithms, so `alg: none` and HS/RS confusion are refused.
    const { alg } = decodeProtectedHeader(token);
    if (alg === 'HS256' && secret) return (await jwtVerify(token, await secret, { ...claims, algorithms: ['HS256'] })).payload;
    if (jwks) return (await jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'ES256'] })).payload;
    throw new errors.JOSEAlgNotAllowed(`unexpected alg`);
  }

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
    if (!match) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    let payload: JWTPayload;
    try {
      payload = await verify(match[1]!);
    } catch {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, '登录已失效,请重新登录');
    }
    if (typeof payload.sub !== 'string' || !isUserId(payload.sub)) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED);
    }
    if (lifetimeSeconds(payload) > options.maxTokenAgeSeconds) throw new DomainError(ErrorCode.UNAUTHENTICATED, '登录已失效,请重新登录');
    const expiresAt = new Date(payload.exp! * 1000);
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    // A token carrying both scopes is an operator's: the narrower rights of a service never widen it.
    if (scopes.includes(ADMIN_SCOPE)) return { kind: 'operator', operatorId: payload.sub, expiresAt };
    return scopes.includes(SERVICE_SCOPE)
      ? { kind: 'service', subject: payload.sub, ...(scopes.includes(REDACT_SCOPE) ? { mayRedact: true } : {}), expiresAt }
      : { kind: 'user', userId: payload.sub, expiresAt };
  };
}

/** From `iat` (or now, whichever is earlier: an `iat` in the future must not shorten the count) to `exp`. */
function lifetimeSeconds(payload: JWTPayload): number {
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  return payload.exp! - issuedAt;
}
