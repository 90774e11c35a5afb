import { describe, expect, it } from 'vitest';
import { callbackTokenMatches, hashCallbackToken, newCallbackToken } from '../../src/crypto/callback-token.js';
import { actorLabel, isUuid, isUserId, subjectOf } from '../../src/domain/actor.js';
import { parseApplication } from '../../src/domain/application.js';
import { factsForGate, passesGate, stateFrom, type StatusFacts } from '../../src/domain/auth-status.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { ErrorCode } from '../../src/domain/errors.js';
import { isManuallyReviewable, operatorReason, reviewNote } from '../../src/domain/review.js';
import type { VerificationStatus } from '../../src/domain/verification-status.js';
import { validIdNumber } from '../support/id-numbers.js';

/** Edges the mutation run found that no unit test pinned (test/mutation/SURVIVORS.md has the rest). */
describe('callback token', () => {
  it('hashes to 64 hex characters, and matches only its own token', () => {
    const token = newCallbackToken();
    const stored = hashCallbackToken(token);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(callbackTokenMatches(stored, token)).toBe(true);
    expect(callbackTokenMatches(stored, newCallbackToken())).toBe(false);
    expect(callbackTokenMatches(stored, `${token}x`)).toBe(false);
  });

  it('matches nothing when no hash is stored, or a malformed one', () => {
    const token = newCallbackToken();
    expect(callbackTokenMatches(null, token)).toBe(false);
    expect(callbackTokenMatches(undefined, token)).toBe(false);
    expect(callbackTokenMatches('abc', token)).toBe(false);
  });
});

describe('actor', () => {
  it('labels an operator for the audit trail', () => {
    expect(actorLabel({ kind: 'operator', operatorId: 'op-7' })).toBe('operator:op-7');
  });

  it.each([
    ['a UUID', '7a0c0f2e-1b3d-4c5e-9f60-0123456789ab', true],
    ['a UUID in capitals', '7A0C0F2E-1B3D-4C5E-9F60-0123456789AB', true],
    ['text before it', 'x7a0c0f2e-1b3d-4c5e-9f60-0123456789ab', false],
    ['text after it', '7a0c0f2e-1b3d-4c5e-9f60-0123456789abx', false],
    ['a short group', '7a0c0f2-1b3d-4c5e-9f60-0123456789ab', false],
    ['a non-hex digit', '7a0c0f2e-1b3d-4c5e-9f60-0123456789ag', false],
    ['a missing group', '7a0c0f2e-1b3d-4c5e-0123456789ab', false],
  ])('isUuid: %s', (_what, id, expected) => {
    expect(isUuid(id)).toBe(expected);
  });

  it('takes a user id of exactly 128 characters', () => {
    expect(isUserId('u'.repeat(128))).toBe(true);
    expect(isUserId('u'.repeat(129))).toBe(false);
  });

  it('refuses a service naming a malformed user, with its own message', () => {
    const service = { kind: 'service', subject: 'letter-backend' } as const;
    expect(() => subjectOf(service, 'a\u0000b')).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT, message: 'userId 无效' }));
    expect(() => subjectOf(service, undefined)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT, message: '服务调用须指定 userId' }));
  });

  it('lets a user name themselves, and refuses an operator acting as a user', () => {
    expect(subjectOf({ kind: 'user', userId: 'u-1' }, 'u-1')).toBe('u-1');
    expect(subjectOf({ kind: 'user', userId: 'u-1' }, undefined)).toBe('u-1');
    expect(() => subjectOf({ kind: 'operator', operatorId: 'op' }, undefined)).toThrow(expect.objectContaining({ code: ErrorCode.FORBIDDEN }));
  });
});

describe('start input', () => {
  const returnUrls = { publicBaseUrl: 'https://realname.example', returnUrlOrigins: [], requireMetaInfo: false };
  const today = new Date('2026-11-01T00:00:00Z');
  const refusal = (extra: Record<string, unknown>) => {
    try {
      parseApplication({ realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_TERMS.version, biometricConsent: true, ...extra }, returnUrls, today);
      return undefined;
    } catch (error) {
      return { code: (error as { code: string }).code, message: (error as Error).message };
    }
  };

  it.each([
    ['digits only', '12345'],
    ['punctuation only', '·.'],
    ['a digit inside', '张3'],
    ['41 characters', '张'.repeat(41)],
    ['an emoji', '张三😀'],
    ['a newline-free control character', '张\u0007三'],
  ])('refuses a name with %s', (_what, realName) => {
    expect(refusal({ realName })).toEqual({ code: ErrorCode.BAD_USER_INPUT, message: '请输入与身份证一致的真实姓名' });
  });

  it.each([
    ['Han', '欧阳明月'],
    ['40 characters', '张'.repeat(40)],
  ])('accepts a name in %s', (_what, realName) => {
    expect(refusal({ realName })).toBeUndefined();
  });

  it.each([
    ['7 characters', 'abcdefg'],
    ['65 characters', 'a'.repeat(65)],
    ['a space', 'abcd efgh'],
    ['a character before', '!abcdefgh'],
    ['a character after', 'abcdefgh!'],
  ])('refuses an idempotencyKey of %s, with its own message', (_what, idempotencyKey) => {
    expect(refusal({ idempotencyKey })).toEqual({ code: ErrorCode.BAD_USER_INPUT, message: 'idempotencyKey 须为 8–64 位字母、数字、- 或 _' });
  });

  it.each(['abcdefgh', 'A-b_0123', 'a'.repeat(64)])('accepts the idempotencyKey %s', (idempotencyKey) => {
    expect(refusal({ idempotencyKey })).toBeUndefined();
  });

  it('refuses a returnUrl that is not a URL, and one too long, each with its message', () => {
    expect(refusal({ returnUrl: 'not a url' })).toEqual({ code: ErrorCode.BAD_USER_INPUT, message: 'returnUrl 不是有效的地址' });
    const long = `https://realname.example/${'a'.repeat(1024 - 'https://realname.example/'.length + 1)}`;
    expect(refusal({ returnUrl: long })).toEqual({ code: ErrorCode.BAD_USER_INPUT, message: 'returnUrl 不在允许的域名内' });
    expect(refusal({ returnUrl: long.slice(0, 1024) })).toBeUndefined();
  });

  it('refuses another scheme on an allowed host', () => {
    expect(refusal({ returnUrl: 'ftp://realname.example/x' })?.code).toBe(ErrorCode.BAD_USER_INPUT);
  });
});

describe('status from facts', () => {
  const lockout = { failures: 2, windowSeconds: 3600 };
  const now = new Date('2026-11-01T12:00:00Z');
  const facts = (latest: { id: string; status: VerificationStatus } | null, nthFailureAt: Date | null = null): StatusFacts => ({ identity: null, latest, nthFailureAt, denied: false });

  it('is LOCKED up to and including the instant the lock ends', () => {
    const nth = new Date(now.getTime() - 3600_000);
    expect(stateFrom('u', facts({ id: 'v', status: 'FAILED' }, nth), lockout, now)).toMatchObject({ status: 'LOCKED', lockedUntil: now });
    expect(stateFrom('u', facts({ id: 'v', status: 'FAILED' }, nth), lockout, new Date(now.getTime() + 1)).status).toBe('FAILED');
  });

  it.each([
    ['PENDING', 'PENDING'],
    ['PROCESSING', 'PENDING'],
    ['FAILED', 'FAILED'],
    ['CANCELED', 'UNVERIFIED'],
    ['EXPIRED', 'UNVERIFIED'],
  ] as const)('answers a latest attempt %s as %s', (latest, status) => {
    expect(stateFrom('u', facts({ id: 'v', status: latest }), lockout, now)).toMatchObject({ status, isValid: false, verificationId: 'v' });
  });
});

describe('which identities a gate passes', () => {
  it.each([
    ['LIVE', 'LIVE', true],
    ['MANUAL', 'LIVE', true],
    ['SANDBOX', 'LIVE', false],
    ['SANDBOX', 'SANDBOX', true],
    ['MANUAL', 'SANDBOX', true],
    ['LIVE', 'SANDBOX', false],
  ] as const)('a %s identity at a %s gate: %s', (identity, deployment, expected) => {
    expect(passesGate(identity, deployment)).toBe(expected);
  });

  it('reads an identity the gate does not accept as none: UNVERIFIED, not VERIFIED', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const facts: StatusFacts = {
      identity: { verifiedAt: now, expiresAt: new Date(now.getTime() + 86_400_000), verificationId: 'v', mode: 'SANDBOX', documentType: 'RESIDENT_ID_CARD' },
      latest: { id: 'v', status: 'VERIFIED' },
      nthFailureAt: null,
      denied: false,
    };
    const lockout = { failures: 5, windowSeconds: 86_400 };
    expect(stateFrom('u', factsForGate(facts, 'LIVE'), lockout, now)).toMatchObject({ status: 'UNVERIFIED', isValid: false });
    expect(stateFrom('u', factsForGate(facts, 'SANDBOX'), lockout, now)).toMatchObject({ status: 'VERIFIED', isValid: true });
  });
});

describe('manual review rules', () => {
  it.each([
    ['IDENTITY_NOT_CONFIRMED', true],
    ['NO_SUCH_IDENTITY', true],
    ['NAME_ID_MISMATCH', true],
    ['NO_ID_PHOTO', true],
    ['SOURCE_ERROR', true],
    ['IDENTITY_ALREADY_BOUND', true],
    ['FACE_MISMATCH', false],
    ['LIVENESS_RISK', false],
    [null, false],
  ] as const)('%s may be reviewed by hand: %s', (code, expected) => {
    expect(isManuallyReviewable(code)).toBe(expected);
  });

  it('normalises an operator reason and refuses an empty, overlong or number-bearing one, each with its message', () => {
    const refusal = (raw: string) => {
      try {
        return operatorReason(raw);
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    expect(refusal('  看过  原件 ')).toBe('看过 原件');
    expect(refusal('理'.repeat(500))).toBe('理'.repeat(500));
    expect(refusal('   ')).toBe('BAD_USER_INPUT: 请填写操作理由');
    expect(refusal('理'.repeat(501))).toBe('BAD_USER_INPUT: 操作理由不能超过 500 字');
    expect(refusal('证件 11010519491231002X 已核对')).toBe('BAD_USER_INPUT: 操作理由中不能包含证件号码');
    expect(refusal('工单 2026120100001')).toBe('工单 2026120100001');
  });

  it('keeps a note short and optional', () => {
    expect(reviewNote(undefined)).toBeNull();
    expect(reviewNote('   ')).toBeNull();
    expect(reviewNote(' 请复核 ')).toBe('请复核');
    expect(reviewNote('说'.repeat(500))).toBe('说'.repeat(500));
    expect(() => reviewNote('说'.repeat(501))).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT, message: '说明不能超过 500 字' }));
  });
});
