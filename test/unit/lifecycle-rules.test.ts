import { describe, expect, it } from 'vitest';
import { identityCheck, stateFrom, type StatusFacts } from '../../src/domain/auth-status.js';
import { ErrorCode } from '../../src/domain/errors.js';
import { checkHeldIdentity, renewableFrom } from '../../src/domain/renewal.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-02T04:00:00.000Z');
const policy = { renewalDays: 30, graceDays: 30 };
const lockout = { failures: 5, windowSeconds: 3600 };
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const ID = 'RESIDENT_ID_CARD';
const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return error as { code: ErrorCode; details: Record<string, unknown> };
  }
  return undefined;
};

describe('renewableFrom', () => {
  it('opens renewalDays before expiry and is null from the end of the grace days', () => {
    expect(renewableFrom({ expiresAt: at(40), documentType: ID }, policy, NOW)).toEqual(at(10));
    expect(renewableFrom({ expiresAt: at(-30), documentType: ID }, policy, new Date(NOW.getTime() - 1))).toEqual(at(-60));
    expect(renewableFrom({ expiresAt: at(-30), documentType: ID }, policy, NOW)).toBeNull();
    expect(renewableFrom(null, policy, NOW)).toBeNull();
  });

  it('is null for any identity no face check can confirm: a document only a review takes, or a record gone', () => {
    for (const documentType of ['HK_MACAO_RESIDENCE_PERMIT', 'TAIWAN_RESIDENCE_PERMIT']) expect(renewableFrom({ expiresAt: at(40), documentType }, policy, NOW)).toEqual(at(10));
    for (const documentType of ['HK_MACAO_TRAVEL_PERMIT', 'TAIWAN_TRAVEL_PERMIT', 'FOREIGN_PERMANENT_RESIDENCE_CARD', null]) {
      expect(renewableFrom({ expiresAt: at(10), documentType }, policy, NOW)).toBeNull();
    }
  });
});

describe('checkHeldIdentity', () => {
  it('refuses a renewal one millisecond before the window with RENEWAL_NOT_OPEN, and lets it through at the window', () => {
    const identity = { expiresAt: at(30), documentType: ID };
    expect(refusal(() => checkHeldIdentity('RENEWAL', identity, policy, new Date(NOW.getTime() - 1)))).toMatchObject({
      code: ErrorCode.RENEWAL_NOT_OPEN,
      details: { renewableFrom: NOW.toISOString() },
    });
    expect(refusal(() => checkHeldIdentity('RENEWAL', identity, policy, NOW))).toBeUndefined();
  });

  it('lets a step-up through only while the identity is valid', () => {
    expect(refusal(() => checkHeldIdentity('STEP_UP', { expiresAt: at(100), documentType: ID }, policy, NOW))).toBeUndefined();
    expect(refusal(() => checkHeldIdentity('STEP_UP', { expiresAt: NOW, documentType: ID }, policy, NOW))).toMatchObject({ code: ErrorCode.NOT_FOUND });
    expect(refusal(() => checkHeldIdentity('STEP_UP', null, policy, NOW))).toMatchObject({ code: ErrorCode.NOT_FOUND });
  });

  it('refuses both for an identity from a document review, with the same sentence, inside the window or not', () => {
    const reviewed = { expiresAt: at(10), documentType: 'TAIWAN_TRAVEL_PERMIT' };
    const renewal = refusal(() => checkHeldIdentity('RENEWAL', reviewed, policy, NOW));
    expect(renewal).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, message: expect.stringContaining('人工审核') });
    expect(refusal(() => checkHeldIdentity('STEP_UP', reviewed, policy, NOW))).toEqual(renewal);
    expect(refusal(() => checkHeldIdentity('RENEWAL', { ...reviewed, expiresAt: at(100) }, policy, NOW))).toEqual(renewal);
  });
});

describe('identityCheck with maxFaceCheckAgeDays', () => {
  const facts = (faceCheckedAt: Date | null, expiresAt = at(100)): StatusFacts => ({
    identity: { verifiedAt: at(-265), expiresAt, verificationId: 'v', faceCheckedAt, mode: 'LIVE', documentType: ID },
    latest: { id: 'v', status: 'VERIFIED' },
    nthFailureAt: null,
    denied: false,
  });
  const check = (f: StatusFacts, maxDays?: number) => identityCheck(stateFrom('u', f, lockout, NOW, policy), NOW, maxDays);

  it('passes at exactly N days and asks for a step-up one millisecond later', () => {
    expect(check(facts(at(-7)), 7)).toMatchObject({ passed: true, reason: null });
    expect(check(facts(new Date(at(-7).getTime() - 1)), 7)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED', expiresAt: at(100) });
  });

  it('asks for a step-up when no face check is on record, and never without maxFaceCheckAgeDays', () => {
    expect(check(facts(null), 365)).toMatchObject({ passed: false, reason: 'STEP_UP_REQUIRED' });
    expect(check(facts(null))).toMatchObject({ passed: true });
  });

  it('keeps the status as the reason when the identity is not valid', () => {
    expect(check(facts(at(-1), at(-1)), 7)).toMatchObject({ passed: false, reason: 'EXPIRED' });
  });
});
