import type { Actor } from '../domain/actor.js';
import type { Authenticator } from './auth.js';

const REMEMBER_MS = 60_000;
const MAX_TOKENS = 10_000;

/**
 * Remembers who a bearer token proved to be, for a minute at most and never past its `exp`: the
 * letter backend sends the same token with every gate call, and jose's HS256 check costs
 * 100–300 µs each time. Keyed by the whole token, signature included, so only the identical
 * string is answered from memory; refusals are never remembered. A key withdrawn from the JWKS
 * stops working here within REMEMBER_MS.
 */
export function rememberVerifiedTokens(authenticate: Authenticator, now = Date.now): Authenticator {
  const remembered = new Map<string, { actor: Actor; until: number }>();
  return async (authorization) => {
    const key = authorization ?? '';
    const hit = remembered.get(key);
    if (hit && hit.until > now()) return hit.actor;
    remembered.delete(key);
    const actor = await authenticate(authorization);
    const until = Math.min(now() + REMEMBER_MS, actor.expiresAt?.getTime() ?? Infinity);
    remembered.set(key, { actor, until });
    if (remembered.size > MAX_TOKENS) remembered.delete(remembered.keys().next().value!);
    return actor;
  };
}
