import { CONSENT_TERMS } from '../src/domain/consent-terms.js';
import { benchIdNumber, benchServiceToken, benchToken, startUserId, verifiedUserId } from './fixtures.js';
import type { Target } from './load.js';

const USER_AUTH_STATUS = 'query Gate($u: ID) { userAuthStatus(userId: $u) { status isValid expiresAt daysRemaining } }';
const VERIFY_IDENTITY = 'mutation Gate($u: ID) { verifyIdentity(userId: $u) { passed reason expiresAt } }';
const START = 'mutation Start($input: StartVerificationInput!) { startVerification(input: $input) { id status certifyId } }';

export type GateOperation = 'userAuthStatus' | 'verifyIdentity';

const ok = (body: string, expected: string) => body.includes(expected) && !body.includes('"errors"');

/**
 * The letter gate for a uniformly random one of `users` verified users, asked as the letter backend
 * does (a service token: each read leaves an access-log event), or by the user about themself
 * (their own token: no event).
 */
export function gateTarget(name: string, url: string, operation: GateOperation, users: number, caller: 'service' | 'user' = 'service'): Target {
  const service = `Bearer ${benchServiceToken()}`;
  const query = operation === 'userAuthStatus' ? USER_AUTH_STATUS : VERIFY_IDENTITY;
  const expected = operation === 'userAuthStatus' ? '"isValid":true' : '"passed":true';
  return {
    name,
    url,
    request: () => {
      const u = verifiedUserId(1 + Math.floor(Math.random() * users));
      return { body: JSON.stringify({ query, variables: { u } }), headers: { authorization: caller === 'service' ? service : `Bearer ${benchToken(u)}` } };
    },
    correct: (body) => ok(body, expected),
  };
}

/** `{__typename}` with the same service token: the server's own cost of a GraphQL request (HTTP, auth, Apollo). */
export function typenameTarget(name: string, url: string): Target {
  const authorization = `Bearer ${benchServiceToken()}`;
  const body = JSON.stringify({ query: '{ __typename }' });
  return { name, url, request: () => ({ body, headers: { authorization } }), correct: (b) => ok(b, '"__typename":"Query"') };
}

export function bareTarget(url: string): Target {
  const body = JSON.stringify({ query: '{ __typename }' });
  return { name: 'bare node:http', url, path: '/', request: () => ({ body }), correct: (b) => b.includes('"__typename"') };
}

let started = 0;
function nextStart(run: string) {
  const k = started++;
  const userId = startUserId(run, k);
  return {
    userId,
    body: JSON.stringify({ query: START, variables: { input: { realName: '张三', idCardNumber: benchIdNumber(2_000_000 + k), consentVersion: CONSENT_TERMS.version, biometricConsent: true } } }),
    headers: { authorization: `Bearer ${benchToken(userId)}` },
  };
}

/** startVerification by a new user each time (own token, own ID number), against the sandbox emulator. */
export function startTarget(name: string, url: string, run: string): Target {
  return { name, url, request: () => nextStart(run), correct: (b) => ok(b, '"status":"PENDING"') };
}

/** Starts `count` verifications with `concurrency` in flight; returns each one's user, id and certifyId. */
export async function startMany(url: string, run: string, count: number, concurrency = 32) {
  const made: { userId: string; verificationId: string; certifyId: string }[] = [];
  let left = count;
  async function worker() {
    while (left-- > 0) {
      const { userId, body, headers } = nextStart(run);
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const json = (await res.json()) as { data?: { startVerification: { id: string; status: string; certifyId: string } } };
      const v = json.data?.startVerification;
      if (v?.status !== 'PENDING') throw new Error(`setup start failed: ${JSON.stringify(json).slice(0, 200)}`);
      made.push({ userId, verificationId: v.id, certifyId: v.certifyId });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return made;
}
