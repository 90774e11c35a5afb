import type { Actor } from '../domain/actor.js';
import { JWKS_CACHE_MS, type Authenticator } from './auth.js';

// With the JWKS cache's age, at most a minute: a key withdrawn from the JWKS stops working within it.
const REMEMBER_MS = 60_000 - JWKS_CACHE_MS;
const MAX_TOKENS = 10_000;

/**
 * Remembers who a bearer token proved to be, for half a minute at most and never past its `exp`: the
 * letter backend sends the same token with every gate call, and jose's HS256 check costs
 * 100–300 µs each time. Keyed by the whole token, signature included, so only the identical
 * string is answered from memory; refusals are never remembered.
 */
export function rememberVerifiedTokens(authenticate: Authenticator, now = () => Date.now()): Authenticator {
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
