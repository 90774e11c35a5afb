import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createAuthenticator, SERVICE_SCOPE } from '../../src/http/auth.js';
import { rememberVerifiedTokens } from '../../src/http/verified-tokens.js';

const SECRET = 'unit-test-secret-that-is-at-least-32-chars';
const DAY = 86_400;
const key = new TextEncoder().encode(SECRET);
const authenticate = createAuthenticator({ secret: SECRET, maxTokenAgeSeconds: DAY });

const token = (claims: Record<string, unknown> = {}, { sub = 'user-1', exp = '1h' as string | number } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(exp).sign(key);

async function refusal(authorization: string | undefined, auth = authenticate) {
  const error = await auth(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof DomainError ? error.code : error;
}

describe(createAuthenticator.name, () => {
  it('reads an end user from `sub`, with the token expiry', async () => {
    const actor = await authenticate(`Bearer ${await token()}`);
    expect(actor).toEqual({ kind: 'user', userId: 'user-1', expiresAt: expect.any(Date) });
    expect(actor.expiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('reads the letter backend from a scope holding realname:service', async () => {
    const actor = await authenticate(`Bearer ${await token({ scope: `openid ${SERVICE_SCOPE}` }, { sub: 'letter-backend' })}`);
    expect(actor).toMatchObject({ kind: 'service', subject: 'letter-backend' });
  });

  it.each(['realname:services', 'realname', `x${SERVICE_SCOPE}`])('keeps a caller with scope %s an end user', async (scope) => {
    expect(await authenticate(`Bearer ${await token({ scope })}`)).toMatchObject({ kind: 'user' });
  });

  it('ignores a scope given as something other than a string', async () => {
    expect(await authenticate(`Bearer ${await token({ scope: [SERVICE_SCOPE] })}`)).toMatchObject({ kind: 'user' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare Bearer', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['not a JWT', 'Bearer not.a.jwt'],
  ])('refuses %s as UNAUTHENTICATED', async (_what, authorization) => {
    expect(await refusal(authorization)).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token', async () => {
    expect(await refusal(`Bearer ${await token({}, { exp: Math.floor(Date.now() / 1000) - 1 })}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses a token not yet valid', async () => {
    const early = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setNotBefore('1h').setExpirationTime('2h').sign(key);
    expect(await refusal(`Bearer ${early}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setExpirationTime('1h').sign(new TextEncoder().encode(`${SECRET}-other`));
    expect(await refusal(`Bearer ${forged}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses an unsigned (alg: none) token', async () => {
    const unsigned = new UnsecuredJWT({ scope: SERVICE_SCOPE }).setSubject('letter-backend').setExpirationTime('1h').encode();
    expect(await refusal(`Bearer ${unsigned}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses an HS256 header over a tampered payload', async () => {
    const [header, , signature] = (await token()).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'letter-backend', scope: SERVICE_SCOPE, exp: 9_999_999_999 })).toString('base64url');
    expect(await refusal(`Bearer ${header}.${payload}.${signature}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses an RS256 token when only a shared secret is configured', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('user-1').setExpirationTime('1h').sign(privateKey);
    expect(await refusal(`Bearer ${rs}`)).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['no sub', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key)],
    ['an empty sub', () => token({}, { sub: '' })],
    ['an overlong sub', () => token({}, { sub: 'u'.repeat(129) })],
  ])('refuses a token with %s', async (_what, make) => {
    expect(await refusal(`Bearer ${await make()}`)).toBe('UNAUTHENTICATED');
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createAuthenticator({ secret: SECRET, issuer: 'https://id.example', audience: 'realname', maxTokenAgeSeconds: DAY });
    const signed = (iss: string, aud: string) =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuer(iss).setAudience(aud).setExpirationTime('1h').sign(key);
    expect(await strict(`Bearer ${await signed('https://id.example', 'realname')}`)).toMatchObject({ userId: 'user-1' });
    expect(await refusal(`Bearer ${await signed('https://evil.example', 'realname')}`, strict)).toBe('UNAUTHENTICATED');
    expect(await refusal(`Bearer ${await signed('https://id.example', 'letters')}`, strict)).toBe('UNAUTHENTICATED');
    expect(await refusal(`Bearer ${await token()}`, strict)).toBe('UNAUTHENTICATED');
  });

  it('needs a secret or a JWKS URL', () => {
    expect(() => createAuthenticator({ maxTokenAgeSeconds: DAY })).toThrow();
  });

  it('refuses a token without exp', async () => {
    const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt().sign(key);
    expect(await refusal(`Bearer ${forever}`)).toBe('UNAUTHENTICATED');
  });

  it('refuses a token whose lifetime exceeds AUTH_MAX_TOKEN_AGE_SECONDS', async () => {
    expect(await refusal(`Bearer ${await token({}, { exp: '25h' })}`)).toBe('UNAUTHENTICATED');
    expect(await authenticate(`Bearer ${await token({}, { exp: '23h' })}`)).toMatchObject({ userId: 'user-1' });
  });

  it('counts the lifetime from iat, so an old long-lived token is refused even near its end', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt(now - 3 * DAY).setExpirationTime(now + 3600).sign(key);
    expect(await refusal(`Bearer ${old}`)).toBe('UNAUTHENTICATED');
  });

  it('counts from now when iat is absent or in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const noIat = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setExpirationTime(now + 2 * DAY).sign(key);
    const futureIat = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt(now + 2 * DAY).setExpirationTime(now + 2 * DAY + 60).sign(key);
    expect(await refusal(`Bearer ${noIat}`)).toBe('UNAUTHENTICATED');
    expect(await refusal(`Bearer ${futureIat}`)).toBe('UNAUTHENTICATED');
  });
});

describe('a key withdrawn from the JWKS', () => {
  it('stops working within a minute, even for a token verified (and remembered) moments before', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let served = [jwk];
    const jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: served })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const auth = rememberVerifiedTokens(createAuthenticator({ jwksUrl, maxTokenAgeSeconds: DAY }));
    const signed = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('user-1').setIssuedAt().setExpirationTime('1h').sign(privateKey);
    try {
      expect(await auth(`Bearer ${signed}`)).toMatchObject({ userId: 'user-1' });
      served = [];
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 });
      expect(await refusal(`Bearer ${signed}`, auth)).toBe('UNAUTHENTICATED');
    } finally {
      vi.useRealTimers();
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });
});
