import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';
import type { Actor } from '../../src/domain/actor.js';
import { rememberVerifiedTokens } from '../../src/http/verified-tokens.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');

/** An authenticator that knows two tokens and counts how often it is asked. */
function countingAuthenticator(expiresAt = new Date(T0 + 3_600_000)) {
  const actors: Record<string, Actor> = {
    'Bearer alice': { kind: 'user', userId: 'alice', expiresAt },
    'Bearer backend': { kind: 'service', subject: 'letter-backend', expiresAt },
  };
  let calls = 0;
  const authenticate = async (authorization: string | undefined) => {
    calls++;
    const actor = actors[authorization ?? ''];
    if (!actor) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return actor;
  };
  return { authenticate, calls: () => calls };
}

describe(rememberVerifiedTokens.name, () => {
  it('verifies a repeated token once', async () => {
    const inner = countingAuthenticator();
    const authenticate = rememberVerifiedTokens(inner.authenticate, () => T0);
    await authenticate('Bearer backend');
    expect(await authenticate('Bearer backend')).toEqual({ kind: 'service', subject: 'letter-backend', expiresAt: expect.any(Date) });
    expect(inner.calls()).toBe(1);
  });

  it('answers each token with its own caller', async () => {
    const authenticate = rememberVerifiedTokens(countingAuthenticator().authenticate, () => T0);
    await authenticate('Bearer alice');
    await authenticate('Bearer backend');
    expect(await authenticate('Bearer alice')).toMatchObject({ kind: 'user', userId: 'alice' });
  });

  it('verifies again after a minute', async () => {
    let now = T0;
    const inner = countingAuthenticator();
    const authenticate = rememberVerifiedTokens(inner.authenticate, () => now);
    await authenticate('Bearer alice');
    now += 60_000;
    await authenticate('Bearer alice');
    expect(inner.calls()).toBe(2);
  });

  it('never answers from memory once the token has expired', async () => {
    let now = T0;
    const inner = countingAuthenticator(new Date(T0 + 10_000));
    const authenticate = rememberVerifiedTokens(inner.authenticate, () => now);
    await authenticate('Bearer alice');
    now += 10_000;
    await authenticate('Bearer alice');
    expect(inner.calls()).toBe(2);
  });

  it('does not remember a refusal', async () => {
    const inner = countingAuthenticator();
    const authenticate = rememberVerifiedTokens(inner.authenticate, () => T0);
    await expect(authenticate('Bearer forged')).rejects.toThrow(DomainError);
    await expect(authenticate('Bearer forged')).rejects.toThrow(DomainError);
    expect(inner.calls()).toBe(2);
  });
});
