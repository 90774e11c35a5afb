import { describe, expect, it } from 'vitest';
import { canMove, failureReason, isTerminal, statesMovableTo, VERIFICATION_STATUSES } from '../../src/domain/verification-status.js';

describe('verification status machine', () => {
  it('never moves out of a terminal state', () => {
    for (const from of VERIFICATION_STATUSES.filter(isTerminal)) {
      for (const to of VERIFICATION_STATUSES) expect(canMove(from, to)).toBe(false);
    }
  });

  it('never goes back from PROCESSING to PENDING', () => {
    expect(canMove('PROCESSING', 'PENDING')).toBe(false);
    expect(canMove('PENDING', 'PROCESSING')).toBe(true);
  });

  it('gives the repository the open states a move may start from', () => {
    expect(statesMovableTo('PROCESSING')).toEqual(['PENDING']);
    expect(statesMovableTo('VERIFIED')).toEqual(['PENDING', 'PROCESSING']);
    expect(statesMovableTo('CANCELED')).toEqual(['PENDING', 'PROCESSING']);
  });

  it('reads the two codes earlier versions stored for a failed identity check as IDENTITY_NOT_CONFIRMED', () => {
    const merged = failureReason('IDENTITY_NOT_CONFIRMED');
    expect(merged).toEqual({ code: 'IDENTITY_NOT_CONFIRMED', message: expect.stringContaining('人工审核') });
    expect(failureReason('NAME_ID_MISMATCH')).toEqual(merged);
    expect(failureReason('NO_SUCH_IDENTITY')).toEqual(merged);
  });

  it('falls back to a generic reason for an unknown code', () => {
    expect(failureReason('SOMETHING_NEW')).toEqual({ code: 'UNKNOWN', message: '认证未通过' });
    expect(failureReason(null)).toBeNull();
  });
});

describe('the whole move table', () => {
  const open = ['PENDING', 'PROCESSING'];
  it.each(VERIFICATION_STATUSES.map((s) => [s, open.includes(s)] as const))('%s is open: %s', (status, isOpen) => {
    expect(isTerminal(status)).toBe(!isOpen);
  });

  it('moves an open state to every other state but back to PENDING, and never to itself', () => {
    for (const from of ['PENDING', 'PROCESSING'] as const) {
      for (const to of VERIFICATION_STATUSES) expect(canMove(from, to), `${from} → ${to}`).toBe(to !== from && to !== 'PENDING');
    }
  });
});
