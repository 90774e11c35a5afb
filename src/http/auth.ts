import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isUserId, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';

export const SERVICE_SCOPE = 'realname:service';

export interface AuthOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export type Authenticator = (authorization: string | undefined) => Promise<Actor>;

export function createAuthenticator(options: AuthOptions): Authenticator {
  // Imported once: given raw bytes, jose imports the key again on every verification.
  const secret = options.secret
    ? crypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    : undefined;
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : undefined;
  if (!secret && !jwks) throw new Error('an auth secret or a JWKS URL is required');
  const claims = { issuer: options.issuer, audience: options.audience };

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
    const expiresAt = payload.exp ? new Date(payload.exp * 1000) : undefined;
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    return scopes.includes(SERVICE_SCOPE)
      ? { kind: 'service', subject: payload.sub, expiresAt }
      : { kind: 'user', userId: payload.sub, expiresAt };
  };
}
