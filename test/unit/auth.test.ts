import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createAuthenticator, SERVICE_SCOPE } from '../../src/http/auth.js';

const SECRET = 'unit-test-secret-that-is-at-least-32-chars';
const key = new TextEncoder().encode(SECRET);
const authenticate = createAuthenticator({ secret: SECRET });

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
    const strict = createAuthenticator({ secret: SECRET, issuer: 'https://id.example', audience: 'realname' });
    const signed = (iss: string, aud: string) =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuer(iss).setAudience(aud).setExpirationTime('1h').sign(key);
    expect(await strict(`Bearer ${await signed('https://id.example', 'realname')}`)).toMatchObject({ userId: 'user-1' });
    expect(await refusal(`Bearer ${await signed('https://evil.example', 'realname')}`, strict)).toBe('UNAUTHENTICATED');
    expect(await refusal(`Bearer ${await signed('https://id.example', 'letters')}`, strict)).toBe('UNAUTHENTICATED');
    expect(await refusal(`Bearer ${await token()}`, strict)).toBe('UNAUTHENTICATED');
  });

  it('needs a secret or a JWKS URL', () => {
    expect(() => createAuthenticator({})).toThrow();
  });
});
